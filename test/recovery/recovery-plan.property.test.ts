/**
 * The pure recovery plan, property-tested like the policy: over every situation (claim or live
 * stop, mode, order or none, what the venue says, price crossed or not), the action keeps the
 * recovery rules of docs/design.md section 10.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasCrossed, needsVenueOrder, planRecovery, type RecoverySituation } from '../../src/recovery/recovery-plan.js';
import type { StopOrder } from '../../src/ports/order-placer.js';

// Deterministic in CI; `FC_SEED=<n>` explores another part of the input space.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_202) });

const situation: fc.Arbitrary<RecoverySituation> = fc
  .record({
    claim: fc.boolean(),
    mode: fc.constantFrom('exchange' as const, 'emulated' as const, 'native' as const),
    hasOrder: fc.boolean(),
    direction: fc.constantFrom(1 as const, -1 as const),
    stopPrice: fc.oneof(fc.constant(Number.NaN), fc.double({ min: 50, max: 150, noNaN: true })),
    price: fc.option(fc.double({ min: 50, max: 150, noNaN: true }), { nil: undefined }),
    quantity: fc.constantFrom(1, 2),
    venue: fc.option(
      fc.record({
        status: fc.constantFrom('open' as const, 'filled' as const, 'cancelled' as const, undefined),
        side: fc.constantFrom('buy' as const, 'sell' as const),
        quantity: fc.constantFrom(1, 2),
      }),
      { nil: undefined },
    ),
  })
  .map(({ venue, ...rest }) => {
    const closingSide = rest.direction === 1 ? ('sell' as const) : ('buy' as const);
    const venueOrder: StopOrder | undefined =
      venue === undefined
        ? undefined
        : { id: 'o1', clientOrderId: 'tsr-K-0123456789-1', symbol: 'K', side: venue.side, quantity: venue.quantity, stopPrice: 99, status: venue.status };
    return { ...rest, closingSide, venueOrder };
  });

const places = new Set(['resume', 'replace', 'sync']);
const isOpen = (order: StopOrder | undefined) => order !== undefined && order.status !== 'filled' && order.status !== 'cancelled';

describe('planRecovery', () => {
  it('finalizes exactly when the venue says the looked-up order filled', () => {
    fc.assert(
      fc.property(situation, (input) => {
        const looked = needsVenueOrder(input.claim, input.mode, input.hasOrder);
        const filled = looked && input.venueOrder?.status === 'filled';
        expect(planRecovery(input) === 'finalize').toBe(filled);
      }),
    );
  });

  it('never places an order while the venue holds an open one for the stop (I2, I7)', () => {
    fc.assert(
      fc.property(situation, (input) => {
        if (needsVenueOrder(input.claim, input.mode, input.hasOrder) && isOpen(input.venueOrder)) {
          expect(places.has(planRecovery(input))).toBe(false);
        }
      }),
    );
  });

  it('never places a stop the price already crossed: it takes the gap path instead', () => {
    fc.assert(
      fc.property(situation, (input) => {
        const action = planRecovery(input);
        if (hasCrossed(input.direction, input.stopPrice, input.price)) expect(places.has(action)).toBe(false);
        if (action === 'gap') expect(hasCrossed(input.direction, input.stopPrice, input.price)).toBe(true);
      }),
    );
  });

  it('a claim resolves by client order id: adopt what the venue holds, else resume under the same id', () => {
    fc.assert(
      fc.property(situation, (input) => {
        if (!input.claim) return;
        const action = planRecovery(input);
        expect(['finalize', 'adopt', 'resume', 'gap']).toContain(action);
        if (input.venueOrder !== undefined && input.venueOrder.status !== 'filled') expect(action).toBe('adopt');
      }),
    );
  });

  it('a live stop: native orders are never re-placed, emulated stops never place, mismatches only reported', () => {
    fc.assert(
      fc.property(situation, (input) => {
        if (input.claim) return;
        const action = planRecovery(input);
        if (input.mode === 'native') expect(['replace', 'sync', 'resume']).not.toContain(action);
        if (input.mode === 'emulated') expect(['gap', 'none']).toContain(action);
        if (action === 'mismatch') {
          const order = input.venueOrder!;
          expect(order.side !== input.closingSide || order.quantity !== input.quantity).toBe(true);
        }
        if (action === 'replace') expect(input.hasOrder && !isOpen(input.venueOrder) && input.venueOrder?.status !== 'filled').toBe(true);
      }),
    );
  });

  it('examples: a vanished order is replaced, a stop without one syncs, a filled claim is finalized', () => {
    const base = { claim: false, mode: 'exchange' as const, direction: 1 as const, stopPrice: 98, price: 100, closingSide: 'sell' as const, quantity: 1 };
    expect(planRecovery({ ...base, hasOrder: true, venueOrder: undefined })).toBe('replace');
    expect(planRecovery({ ...base, hasOrder: false, venueOrder: undefined })).toBe('sync');
    expect(planRecovery({ ...base, hasOrder: true, venueOrder: undefined, price: 97 })).toBe('gap');
    const filled: StopOrder = { id: 'o', clientOrderId: 'c', symbol: 'K', side: 'sell', quantity: 1, stopPrice: 98, status: 'filled' };
    expect(planRecovery({ ...base, claim: true, hasOrder: false, venueOrder: filled })).toBe('finalize');
  });
});
