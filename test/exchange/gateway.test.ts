/**
 * The gateway once the registry's close() finished: no call reaches the placer, neither a new one
 * nor one that was waiting for the concurrency bound when close() resolved.
 */
import { describe, expect, it } from 'vitest';
import { testGateway } from '../support/gateway.js';
import { defaultRetryOptions, type ExchangeGateway } from '../../src/exchange/gateway.js';
import { ClosedError, PaperExchange, type StopOrder } from '../../src/index.js';

function gatewayOn(placer: PaperExchange, finished: () => boolean): ExchangeGateway {
  return testGateway(placer, { concurrency: 1, retry: { ...defaultRetryOptions, attempts: 1 }, closed: finished, finished });
}

describe('ExchangeGateway after close() finished', () => {
  it('refuses a call that waited for the concurrency bound while close() resolved, before it reaches the placer', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const venue = new PaperExchange();
    let finished = false;
    const gateway = gatewayOn(venue, () => finished);
    const order: StopOrder = await venue.placeStop(
      { symbol: 'BTCUSDT', side: 'sell', quantity: 1, stopPrice: 98, clientOrderId: 'tsr-BTC-1' },
      { signal: new AbortController().signal },
    );
    // The only slot is busy; the cancel waits behind it.
    const busy = gateway.call('findStop', 'BTCUSDT', () => held);
    const waiting = gateway.call('cancelStop', 'BTCUSDT', (signal) => venue.cancelStop(order, { signal })).catch((error: unknown) => error);
    // p-limit starts the first call on a later tick: let it take the slot, then close.
    await new Promise((resolve) => setImmediate(resolve));
    finished = true;
    release();
    await busy;
    expect(await waiting).toBeInstanceOf(ClosedError);
    expect(venue.calls.cancelStop).toBe(0);
    await expect(gateway.call('findStop', 'BTCUSDT', () => Promise.resolve(undefined))).rejects.toBeInstanceOf(ClosedError);
  });
});
