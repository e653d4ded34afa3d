/**
 * NAIVE order-update handling, kept beside the venue-fill race property to prove it has teeth.
 * The registry has no seam for a worse handler, so each variant is a filter between the venue's
 * order stream and `TrailingStopRegistry.handleOrderUpdate` (the registry's listener): it feeds
 * the same updates to the registry differently, as a bot's own naive stream handler would.
 *
 * - {@link ignoreFillsOfReplacedOrders}: "a fill of an order the stop no longer names is stale":
 *   drops a `filled` update whose client order id is not the stop's current order
 *   (`registry.get(key).order`). When the venue filled the old half of a make-before-break move
 *   and the fill arrives after the move finished, the stop never ends and its new order stays
 *   live for a flat position.
 * - {@link everyCancelIsExternal}: "any cancel on my symbol means my stop was cancelled": forwards
 *   every `cancelled` update as a cancel of the stop's current order (a synthetic update with that
 *   order's ids). The registry's own cancel of the old half, arriving after the move, then reads
 *   as a cancel by hand of the new order: the registry places the stop again while the new order
 *   still rests, two live orders for one stop.
 *
 * The same property that holds for the registry fed straight from the stream must FAIL with these.
 */
import type { OrderUpdate } from '../../src/ports/order-placer.js';
import type { TrailingStopRegistry } from '../../src/registry/registry.js';
import type { UpdateRoute } from '../support/venue-race.js';

/** The registry whose stops a filter consults (built after the placer, hence a getter). */
export type RegistryOf = () => TrailingStopRegistry | undefined;

/** The current order of the stop on `update`'s symbol (keys are symbols in these races). */
function currentOrder(registry: RegistryOf, update: OrderUpdate) {
  return registry()?.get(update.symbol)?.order ?? null;
}

/** See the module comment. */
export function ignoreFillsOfReplacedOrders(registry: RegistryOf): UpdateRoute {
  return (update, deliver) => {
    if (update.status === 'filled') {
      const current = currentOrder(registry, update);
      if (current !== null && current.clientOrderId !== update.clientOrderId) return; // "stale"
    }
    deliver(update);
  };
}

/** See the module comment. */
export function everyCancelIsExternal(registry: RegistryOf): UpdateRoute {
  return (update, deliver) => {
    if (update.status === 'cancelled') {
      const current = currentOrder(registry, update);
      if (current !== null) {
        deliver({ ...update, clientOrderId: current.clientOrderId, id: current.id });
        return;
      }
    }
    deliver(update);
  };
}
