/**
 * NAIVE variant that moves a stop cancel-then-place, as the seed bot did on Binance: the real
 * registry told (through the placer's declared capabilities, a public seam) that the venue cannot
 * hold two stops, although it can. Between the cancel and the new placement the position has no
 * stop; when the placement fails it has none at all, while make-before-break keeps the old one.
 */
import { TrailingStopRegistry } from '../../src/index.js';
import { campaignRegistryOptions, type Variant } from '../support/campaign-world.js';

/** See the module comment. */
export const cancelThenPlaceVariant: Variant = {
  name: 'cancel-then-place (naive)',
  memoryView: true,
  build: ({ options, placer, ...ports }) =>
    new TrailingStopRegistry({
      ...campaignRegistryOptions,
      ...options,
      ...ports,
      placer: { ...placer, capabilities: { ...placer.capabilities, cancelBeforePlace: true } },
    }),
};
