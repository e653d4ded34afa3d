/**
 * The orphan sweep on its own: what it does with a newer order of a live stop's position that its
 * record does not name yet (another registry's move whose answer and write are still out).
 */
import { describe, expect, it } from 'vitest';
import { testGateway } from '../support/gateway.js';
import { MemoryStateStore, PaperExchange, TrailingStopRegistry } from '../../src/index.js';
import { defaultRetryOptions } from '../../src/exchange/gateway.js';
import { OrphanSweep } from '../../src/recovery/orphan-sweep.js';
import type { ReconcilerOptions } from '../../src/recovery/types.js';
import { StopBook } from '../../src/stop/stop-book.js';
import { silentLogger } from '../../src/ports/logger.js';
import { clientOrderIdBaseOf, clientOrderIdFor } from '../../src/domain/client-order-id.js';
import type { ReconcileEvent } from '../../src/events.js';
import { longSpec } from '../support/fixtures.js';

/** A sweep of a registry that holds no stop (its book is empty), on `venue` and `store`. */
function sweepOf(venue: PaperExchange, store: MemoryStateStore): OrphanSweep {
  const gateway = testGateway(venue, { timeoutMs: 1_000, retry: { ...defaultRetryOptions, baseDelayMs: 1, maxDelayMs: 1 } });
  // The sweep reaches the book and the writer only for a stop this registry holds: none here.
  const options = { store, gateway, logger: silentLogger, clientOrderIdPrefix: 'tsr', owner: 'bot-2', book: new StopBook() };
  return new OrphanSweep(options as unknown as ReconcilerOptions);
}

describe('the orphan sweep', () => {
  it("never cancels a newer, tighter order beside a live stop's recorded one that it cannot adopt, however often it runs", async () => {
    const venue = new PaperExchange();
    const store = new MemoryStateStore();
    const holder = new TrailingStopRegistry({ placer: venue, store, owner: 'bot-1' });
    const stop = await holder.create(longSpec('BTC'));
    // Another registry's move: its new, tighter order rests; the recorded one is not cancelled yet.
    const recorded = stop.order!;
    const base = clientOrderIdBaseOf(recorded.clientOrderId);
    await venue.placeStop(
      { symbol: 'BTC', side: 'sell', quantity: 1, stopPrice: recorded.stopPrice + 1, clientOrderId: clientOrderIdFor(base, 2) },
      { signal: new AbortController().signal },
    );
    const sweep = sweepOf(venue, store);
    const reported: ReconcileEvent[] = [];
    // Two passes with nothing changed between them: to the second, the newer order looks stranded.
    await sweep.run(venue.liveOrders(), [], (event) => reported.push(event));
    await sweep.run(venue.liveOrders(), [], (event) => reported.push(event));
    expect(venue.liveOrders('BTC').map((order) => order.stopPrice).sort()).toEqual([recorded.stopPrice, recorded.stopPrice + 1]);
    expect(reported).toEqual([]);
    await holder.close();
  });
});
