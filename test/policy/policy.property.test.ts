import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CreateStopSpec } from '../../src/policy/create-spec.js';
import { advancePolicy, createPolicyState, STOP_MOVED, TRIGGERED, updateAtr, type PolicyState } from '../../src/policy/policy.js';
import { isOnTick, tickDecimals } from '../../src/policy/tick.js';
import { onGrid, positionArb, specArb, walkArb, type Tick } from './arbitraries.js';
import { resolveSpec, stopOf, type TestSpec } from './helpers.js';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_250_611), numRuns: 300 });

// ---------------------------------------------------------------------------------------------
// A scenario: a position, its parameters, and a path of prices, ATR updates and touches.

type ScenarioEvent = { price: number } | { atr: number } | { touch: true };
type FedEvent = { price: number } | { atr: number };

interface Scenario {
  readonly spec: TestSpec;
  readonly tick: Tick | null;
  /** Prices, ATR updates and touches (a price exactly at the stop in force), in order. */
  readonly events: readonly ScenarioEvent[];
}

const scenarioArb: fc.Arbitrary<Scenario> = positionArb.chain(({ side, tick, entryPrice }) => {
  const walk = walkArb<{ atrFraction: number } | { touch: true }>([
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_000 }).map((perMille) => ({ atrFraction: perMille / 10_000 })) },
    { weight: 1, arbitrary: fc.constant({ touch: true as const }) },
  ]);
  return fc.tuple(specArb(side, entryPrice, tick), walk).map(([spec, steps]): Scenario => {
    let price = entryPrice;
    const events = steps.map((step): ScenarioEvent => {
      if ('atrFraction' in step) return { atr: entryPrice * step.atrFraction };
      if ('touch' in step) return step;
      price = onGrid(price * (1 + step.move), tick);
      return { price };
    });
    return { spec, tick, events };
  });
});

/** Opens the scenario's position (the entry price fed first, as the registry does). */
function open(spec: Partial<CreateStopSpec> & Pick<CreateStopSpec, 'side'>) {
  const validated = resolveSpec(spec);
  const state = createPolicyState(validated.side, validated.entryPrice, validated.parameters, validated.initialStopPrice);
  return { state, parameters: validated.parameters, entryPrice: validated.entryPrice };
}

/** Runs every event; calls `check` with the state before and after, the event and the flags. */
function run(
  scenario: Scenario,
  check: (before: { stop: number | null; tierIndex: number }, state: PolicyState, event: FedEvent, flags: number) => void,
): void {
  const { state, parameters, entryPrice } = open(scenario.spec);
  for (const scheduled of [{ price: entryPrice }, ...scenario.events]) {
    if ('touch' in scheduled && stopOf(state) === null) continue;
    const event: FedEvent = 'touch' in scheduled ? { price: state.stopPrice } : scheduled;
    const before = { stop: stopOf(state), tierIndex: state.tierIndex };
    const flags = 'price' in event ? advancePolicy(state, parameters, event.price) : updateAtr(state, parameters, event.atr);
    check(before, state, event, flags);
  }
}

// ---------------------------------------------------------------------------------------------

describe('policy properties', () => {
  it('I5: the stop never loosens (long non-decreasing, short non-increasing), ATR updates included', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        run(scenario, (before, state, _event, flags) => {
          const after = stopOf(state);
          if (before.stop !== null) {
            expect(after).not.toBeNull();
            expect(state.direction * (after! - before.stop)).toBeGreaterThanOrEqual(0);
          }
          // STOP_MOVED iff the stop changed.
          expect((flags & STOP_MOVED) !== 0).toBe(after !== before.stop);
        });
      }),
    );
  });

  it('the stop is always on the tick grid, as an exact decimal of the tick\'s precision (no float dust)', () => {
    fc.assert(
      fc.property(
        scenarioArb.filter((scenario) => scenario.tick !== null),
        (scenario) => {
          const [tickSize, decimals] = scenario.tick!;
          run(scenario, (_before, state) => {
            const stop = stopOf(state);
            if (stop === null) return;
            expect(isOnTick(stop, tickSize, decimals)).toBe(true);
            expect(tickDecimals(stop)).toBeLessThanOrEqual(decimals);
            expect(stop).toBe(Number(stop.toFixed(decimals)));
          });
        },
      ),
    );
  });

  it('triggers iff the price crossed the stop in force (long price <= stop, short price >= stop); then frozen', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        let frozen: { stop: number | null; best: number } | undefined;
        run(scenario, (before, state, event, flags) => {
          if (frozen !== undefined) {
            expect(flags).toBe(0);
            expect(stopOf(state)).toBe(frozen.stop);
            expect(state.bestPrice).toBe(frozen.best);
            return;
          }
          if (!('price' in event)) {
            expect(flags & TRIGGERED).toBe(0);
            return;
          }
          // A price never crosses a stop it moves itself: the stop set by a new best lies beyond it.
          const crossed = before.stop !== null && state.direction * (event.price - before.stop) <= 0;
          expect((flags & TRIGGERED) !== 0).toBe(crossed);
          expect(state.triggered).toBe(crossed);
          if (crossed) frozen = { stop: stopOf(state), best: state.bestPrice };
        });
      }),
    );
  });

  it('tiers never widen: the applied callback never increases, the tier index never decreases', () => {
    const withSteps = scenarioArb.filter((scenario) => scenario.spec.steps !== undefined);
    fc.assert(
      fc.property(withSteps, (scenario) => {
        const steps = scenario.spec.steps!;
        run(scenario, (before, state) => {
          expect(state.tierIndex).toBeGreaterThanOrEqual(before.tierIndex);
          const applied = steps[Math.max(0, state.tierIndex)]!.callbackPercent;
          const previous = steps[Math.max(0, before.tierIndex)]!.callbackPercent;
          expect(applied).toBeLessThanOrEqual(previous);
        });
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Mirror symmetry. On a dyadic grid (tick 1, 0.5, 0.25, 0.125) prices and their mirror images
// 2 x entry - p are exact in floating point, so the short's stops must be exact mirror images of
// the long's for absolute (`callbackAmount`) and tick distances. Percent distances are not mirror
// images (peak x 0.99 vs trough x 1.01); policy.test.ts checks those by hand.

const mirrorArb = fc
  .record({
    tickSize: fc.constantFrom(1, 0.5, 0.25, 0.125),
    entryTicks: fc.integer({ min: 400, max: 4_000 }),
  })
  .chain(({ tickSize, entryTicks }) => {
    const entryPrice = entryTicks * tickSize;
    const offsetTicks = fc.integer({ min: -(entryTicks - 1), max: entryTicks - 1 });
    return fc.record({
      tickSize: fc.constant(tickSize),
      entryPrice: fc.constant(entryPrice),
      distance: fc.oneof(
        fc.integer({ min: 1, max: 200 }).map((n) => ({ callbackAmount: n * tickSize })),
        fc.integer({ min: 1, max: 200 }).map((n) => ({ callbackTicks: n })),
      ),
      activationTicks: fc.option(offsetTicks, { nil: undefined }),
      breakeven: fc.option(
        fc.record({ at: fc.integer({ min: 1, max: 100 }), share: fc.integer({ min: 0, max: 9 }) }).map(({ at, share }) => ({
          breakevenAtPercent: at / 10,
          breakevenOffsetPercent: Math.floor((at * share) / 10) / 10,
        })),
        { nil: undefined },
      ),
      initialTicks: fc.option(fc.integer({ min: 1, max: entryTicks - 1 }), { nil: undefined }),
      path: fc.array(offsetTicks, { minLength: 1, maxLength: 60 }),
    });
  });

describe('mirror symmetry (long vs short around the entry)', () => {
  it('absolute and tick distances: mirroring the path (p -> 2 x entry - p) mirrors the stops and the flags', () => {
    fc.assert(
      fc.property(mirrorArb, (m) => {
        const E = m.entryPrice;
        const t = m.tickSize;
        const base = { entryPrice: E, tickSize: t, ...m.distance, ...m.breakeven };
        const long = open({
          side: 'long',
          ...base,
          ...(m.activationTicks === undefined ? { activationPercent: 0 } : { activationPrice: E + m.activationTicks * t }),
          ...(m.initialTicks === undefined ? {} : { initialStopPrice: E - m.initialTicks * t }),
        });
        const short = open({
          side: 'short',
          ...base,
          ...(m.activationTicks === undefined ? { activationPercent: 0 } : { activationPrice: E - m.activationTicks * t }),
          ...(m.initialTicks === undefined ? {} : { initialStopPrice: E + m.initialTicks * t }),
        });
        const mirror = (stop: number | null) => (stop === null ? null : 2 * E - stop);
        expect(stopOf(short.state)).toBe(mirror(stopOf(long.state)));
        for (const offset of [0, ...m.path]) {
          const longFlags = advancePolicy(long.state, long.parameters, E + offset * t);
          const shortFlags = advancePolicy(short.state, short.parameters, E - offset * t);
          expect(shortFlags).toBe(longFlags);
          expect(stopOf(short.state)).toBe(mirror(stopOf(long.state)));
          expect(short.state.bestPrice).toBe(2 * E - long.state.bestPrice);
        }
      }),
    );
  });
});
