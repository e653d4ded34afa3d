/**
 * Choosing a venue profile at construction: a shipped profile per supported ccxt id, a clear
 * refusal for an exchange without one (no silent generic fallback), a profile of one's own, and
 * the ccxt version check (a warning by default, a refusal on request).
 */
import { gate, gateeu, kraken } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer, supportedExchangeIds, unsupportedVenues, venueProfiles, verifiedCcxtVersions } from '../../src/placers/ccxt.js';
import type { Logger } from '../../src/ports/logger.js';
import { scriptedOkx } from '../support/ccxt-okx.js';
import { scriptedBinanceUsdm, testCredentials } from '../support/scripted-venue.js';

const call = () => ({ signal: new AbortController().signal });

function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

describe('CcxtOrderPlacer venue profiles', () => {
  it('refuses an exchange without a profile, naming the supported ids and how to pass a profile', () => {
    const exchange = new kraken({ apiKey: testCredentials.apiKey, secret: testCredentials.secret });
    let message = '';
    try {
      new CcxtOrderPlacer(exchange);
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      message = (error as Error).message;
    }
    expect(message).toContain("'kraken'");
    for (const id of supportedExchangeIds) expect(message).toContain(id);
    expect(message).toMatch(/\{ profile \}/);
    expect(message).toContain('VenueProfile');
    expect(message).not.toContain(testCredentials.apiKey);
  });

  it("refuses Gate with the reason: its price-triggered orders carry no client order id", () => {
    for (const exchange of [new gate({ apiKey: testCredentials.apiKey, secret: testCredentials.secret }), new gateeu({})]) {
      expect(() => new CcxtOrderPlacer(exchange)).toThrow(/does not support ccxt exchange 'gate(eu)?'.*carry no client order id/);
    }
    expect(unsupportedVenues['gate']).toContain('initial.text');
  });

  it('ships one profile per supported ccxt id', () => {
    expect([...supportedExchangeIds].sort()).toEqual(['binance', 'binanceusdm', 'bingx', 'bitget', 'bybit', 'hyperliquid', 'kucoinfutures', 'okx'].sort());
    for (const profile of Object.values(venueProfiles)) expect(profile.exchangeIds.length).toBeGreaterThan(0);
  });

  it('takes a full profile of its own for another exchange id', async () => {
    const { exchange, venue } = scriptedOkx();
    const renamed = Object.create(exchange, { id: { value: 'myokxfork' } }) as typeof exchange;
    expect(() => new CcxtOrderPlacer(renamed)).toThrow(/no verified venue profile for ccxt exchange 'myokxfork'/);
    const placer = new CcxtOrderPlacer(renamed, { profile: { ...venueProfiles.okx, name: 'okx-fork', exchangeIds: ['myokxfork'] } });
    expect(placer.venue).toBe('okx-fork');
    await placer.placeStop({ symbol: 'BTC/USDT:USDT', side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'own-1' }, call());
    expect(venue.openOrders()).toHaveLength(1);
  });

  it(`verifies the ccxt version (>= ${verifiedCcxtVersions.min}, < ${verifiedCcxtVersions.below}): warns by default, refuses on request`, () => {
    const { exchange } = scriptedOkx();
    const current = new CcxtOrderPlacer(exchange);
    expect(current.ccxtVersionVerified).toBe(true);
    expect(current.ccxtVersion).toMatch(/^4\.5\.\d+$/);

    for (const version of ['4.4.99', '4.6.0', undefined]) {
      const old = Object.create(exchange, { constructor: { value: { ccxtVersion: version } } }) as typeof exchange;
      const lines: string[] = [];
      const placer = new CcxtOrderPlacer(old, { logger: recordingLogger(lines) });
      expect(placer.ccxtVersionVerified, String(version)).toBe(false);
      expect(lines.filter((line) => line.startsWith('warn '))).toHaveLength(1);
      expect(lines[0]).toContain(`ccxt ${version ?? '(version unknown)'} is outside the range`);
      expect(() => new CcxtOrderPlacer(old, { ccxtVersionCheck: 'refuse' })).toThrow(TypeError);
    }
    expect(() => new CcxtOrderPlacer(exchange, { ccxtVersionCheck: 'never' as never })).toThrow(/ccxtVersionCheck/);
  });

  it("declares the profile's documented request limit as capabilities.rateLimit, none where the profile has none", () => {
    const binance = new CcxtOrderPlacer(scriptedBinanceUsdm().exchange);
    expect(binance.capabilities.rateLimit).toEqual(venueProfiles.binance.rateLimit);
    expect(binance.capabilities.rateLimit).toEqual({ requests: 200, intervalMs: 10_000 });
    expect(new CcxtOrderPlacer(scriptedOkx().exchange).capabilities.rateLimit).toBeUndefined();
  });

  it('refuses a clientOrderIdMaxLength beyond what the venue form allows', () => {
    const { exchange } = scriptedOkx();
    expect(() => new CcxtOrderPlacer(exchange, { clientOrderIdMaxLength: 32 })).toThrow(/\[1, 31\]/);
    expect(new CcxtOrderPlacer(exchange, { clientOrderIdMaxLength: 24 }).capabilities.clientOrderIdMaxLength).toBe(24);
  });
});
