/**
 * Secrets never leave, on the venues profiled after Binance and Bybit: their credentials include a
 * passphrase (OKX, KuCoin, Bitget) or a wallet private key (Hyperliquid). Each venue answers with
 * an error body that echoes every credential; no error message, stack, cause, JSON form or log line
 * may contain one.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer } from '../../src/placers/ccxt.js';
import type { Logger } from '../../src/ports/logger.js';
import { scriptedBingx } from '../support/ccxt-bingx.js';
import { bitgetPassphrase, scriptedBitget } from '../support/ccxt-bitget.js';
import { hyperliquidWallet, scriptedHyperliquid } from '../support/ccxt-hyperliquid.js';
import { kucoinPassphrase, scriptedKucoinFutures } from '../support/ccxt-kucoinfutures.js';
import { okxPassphrase, scriptedOkx } from '../support/ccxt-okx.js';
import { testCredentials, type ScriptedVenue } from '../support/scripted-venue.js';

const call = () => ({ signal: new AbortController().signal });

function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (message: string, context?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
  };
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

/** Every text an error exposes: message, stack, string and JSON forms, down the cause chain. */
function exposedTexts(error: unknown): string[] {
  const texts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) texts.push(current.message, String(current.stack), String(current));
    texts.push(JSON.stringify(current), JSON.stringify(Object.getOwnPropertyDescriptors(current)));
    current = (current as { cause?: unknown }).cause;
  }
  return texts;
}

interface Case {
  readonly name: string;
  readonly make: () => { exchange: ConstructorParameters<typeof CcxtOrderPlacer>[0]; venue: ScriptedVenue };
  readonly symbol: string;
  readonly quantity: number;
  readonly method: string;
  readonly path: string;
  readonly secrets: readonly string[];
  /** An error body as the venue shapes it, echoing `echo`. */
  readonly body: (echo: string) => unknown;
}

const echoOf = (secrets: readonly string[]) => secrets.map((secret) => `key=${secret} ${secret}`).join(' ');
const keys = [testCredentials.apiKey, testCredentials.secret];

const cases: Case[] = [
  {
    name: 'okx',
    make: scriptedOkx,
    symbol: 'BTC/USDT:USDT',
    quantity: 0.01,
    method: 'POST',
    path: '/api/v5/trade/order-algo',
    secrets: [...keys, okxPassphrase],
    body: (echo) => ({ code: '1', msg: '', data: [{ algoId: '', sCode: '51000', sMsg: `Parameter error ${echo}` }] }),
  },
  {
    name: 'kucoinfutures',
    make: scriptedKucoinFutures,
    symbol: 'BTC/USDT:USDT',
    quantity: 0.01,
    method: 'POST',
    path: '/api/v1/orders',
    secrets: [...keys, kucoinPassphrase],
    body: (echo) => ({ code: '400005', msg: `Signature error ${echo}` }),
  },
  {
    name: 'bingx',
    make: scriptedBingx,
    symbol: 'BTC/USDT:USDT',
    quantity: 0.01,
    method: 'POST',
    path: '/openApi/swap/v2/trade/order',
    secrets: keys,
    body: (echo) => ({ code: 100001, msg: `Signature verification failed ${echo}`, data: {} }),
  },
  {
    name: 'bitget',
    make: scriptedBitget,
    symbol: 'BTC/USDT:USDT',
    quantity: 0.01,
    method: 'POST',
    path: '/api/v2/mix/order/place-tpsl-order',
    secrets: [...keys, bitgetPassphrase],
    body: (echo) => ({ code: '40009', msg: `sign signature error ${echo}`, requestTime: 1, data: null }),
  },
  {
    name: 'hyperliquid',
    make: scriptedHyperliquid,
    symbol: 'BTC/USDC:USDC',
    quantity: 0.2,
    method: 'POST',
    path: '/exchange',
    secrets: [hyperliquidWallet.privateKey, hyperliquidWallet.privateKey.slice(2)],
    body: (echo) => ({ status: 'err', response: `User or API Wallet does not exist. ${echo}` }),
  },
];

describe.each(cases)('no secret leaves the ccxt adapter on $name', (venueCase) => {
  it('an error body echoing every credential is redacted in the error and the logs', async () => {
    const { exchange, venue } = venueCase.make();
    const lines: string[] = [];
    const placer = new CcxtOrderPlacer(exchange, { symbols: [venueCase.symbol], logger: recordingLogger(lines) });
    if (venueCase.name === 'hyperliquid') {
      // ccxt's first order sends its builder-fee and referrer actions first: let them pass.
      await placer.placeStop({ symbol: venueCase.symbol, side: 'buy', quantity: venueCase.quantity, stopPrice: 105, clientOrderId: 'warm-1' }, call());
    }
    venue.failNext(venueCase.method, venueCase.path, { status: 200, body: venueCase.body(echoOf(venueCase.secrets)) });
    const error = await placer
      .placeStop({ symbol: venueCase.symbol, side: 'sell', quantity: venueCase.quantity, stopPrice: 95, clientOrderId: 'leak-1' }, call())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    const texts = [...exposedTexts(error), ...lines];
    expect(texts.join('\n')).toContain('[redacted]');
    for (const secret of venueCase.secrets) {
      for (const text of texts) expect(text, `${venueCase.name}: a credential leaked`).not.toContain(secret);
    }
  });
});
