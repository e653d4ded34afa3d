/**
 * Placer helpers for the benchmarks: a concurrency bound for the hand-written strategies (the
 * registry has its own), counts read from a {@link PaperExchange}, and a venue that keeps nothing
 * in this process (for the memory scenario).
 */
import pLimit from 'p-limit';
import type { OrderPlacer, PlacerCallOptions, StopOrder, StopOrderRequest } from '../../src/ports/order-placer.js';
import type { PaperExchange } from '../../src/placers/paper.js';

/**
 * Wraps `placer` so that at most `concurrency` calls run at once (p-limit, like the registry's
 * own bound). Every strategy of a scenario then works under the same bound.
 */
export function boundedPlacer(placer: OrderPlacer, concurrency: number): OrderPlacer {
  const limit = pLimit(concurrency);
  return {
    capabilities: placer.capabilities,
    placeStop: (request, options) => limit(() => placer.placeStop(request, options)),
    cancelStop: (order, options) => limit(() => placer.cancelStop(order, options)),
  };
}

/** Every call the paper venue received, of any operation. */
export function totalCalls(placer: PaperExchange): number {
  let total = 0;
  for (const count of Object.values(placer.calls)) total += count;
  return total;
}

/** Open orders on the venue, and those beyond one per symbol (orphans: they can fire later). */
export function liveAndOrphans(placer: PaperExchange): { liveOrders: number; orphans: number } {
  const perSymbol = new Map<string, number>();
  const live = placer.liveOrders();
  for (const order of live) perSymbol.set(order.symbol, (perSymbol.get(order.symbol) ?? 0) + 1);
  let orphans = 0;
  for (const count of perSymbol.values()) orphans += count - 1;
  return { liveOrders: live.length, orphans };
}

/**
 * A venue on the other side of a network: it answers on the next microtask with the order and
 * keeps nothing, so a heap measurement sees only what the bot process holds.
 */
export class RemoteVenue implements OrderPlacer {
  readonly capabilities = { clientOrderIdMaxLength: 36 };
  #nextId = 1;

  placeStop(request: StopOrderRequest, _options: PlacerCallOptions): Promise<StopOrder> {
    return Promise.resolve({
      id: `remote-${this.#nextId++}`,
      clientOrderId: request.clientOrderId,
      symbol: request.symbol,
      side: request.side,
      quantity: request.quantity,
      stopPrice: request.stopPrice,
    });
  }

  cancelStop(_order: StopOrder, _options: PlacerCallOptions): Promise<void> {
    return Promise.resolve();
  }
}
