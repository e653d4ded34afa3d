/**
 * NAIVE variant without compensation: the real registry, except that an order it placed and then
 * lost a double-check race for (another registry won, or the key was removed meanwhile) is never
 * cancelled, as the seed bot forgot its loser's order. Injected through public seams only: the
 * `raceLost` event names the order, and the placer's `cancelStop` skips it.
 */
import { TrailingStopRegistry, type OrderPlacer, type StopOrder } from '../../src/index.js';
import { campaignRegistryOptions, type Variant } from '../support/campaign-world.js';

/** See the module comment. */
export const noCompensationVariant: Variant = {
  name: 'no compensation (naive)',
  memoryView: true,
  build: ({ options, placer, ...ports }) => {
    const forgotten = new Set<string>();
    const forgetful: OrderPlacer = {
      ...placer,
      cancelStop: (order, callOptions) => (forgotten.has(order.id) ? Promise.resolve() : placer.cancelStop(order, callOptions)),
    };
    const registry = new TrailingStopRegistry({ ...campaignRegistryOptions, ...options, ...ports, placer: forgetful });
    registry.on('raceLost', (event: { readonly order: StopOrder | null }) => {
      if (event.order !== null) forgotten.add(event.order.id);
    });
    return registry;
  },
};
