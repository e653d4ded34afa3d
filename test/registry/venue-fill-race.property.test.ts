/**
 * Race property (issue 11): the venue fills the OLD order of a stop while a make-before-break move
 * is in flight, and the fill's order update arrives before, between or after the move's calls
 * (place the new stop, cancel the old one), as fast-check's scheduler decides. Every exchange
 * answer, store answer, timer (timeouts included) and order update resolves in a scheduled order
 * (test/support/venue-race.ts); the venue fills at the tick, as the new stop reaches it, or at a
 * scheduled moment (which may come after the registry cancelled the old order: then nothing fills),
 * and a second tick may arrive at any moment.
 *
 * Property at quiescence: when the venue filled, zero live orders, exactly one `triggered` event
 * (source `venue`), the record gone (unless the cleanup gave up: the known defect replayed at the
 * end); when it did not, exactly the stop's one order, nothing triggered. The same property runs
 * with two naive update handlers between the stream and the registry
 * (test/naive/venue-update-filters.ts) and must fail there.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryStateStore, PaperExchange, TrailingStopRegistry, type StopOrder, type TriggeredEvent } from '../../src/index.js';
import { RaceGate, quiesce, turn, type UpdateRoute } from '../support/venue-race.js';
import { VirtualClock, drive, settle } from '../support/venue-clock.js';
import { everyCancelIsExternal, ignoreFillsOfReplacedOrders, type RegistryOf } from '../naive/venue-update-filters.js';

// Deterministic in CI; `FC_SEED=<n>` explores another part of the input space.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_202) });

const key = 'BTC';
const numRuns = 300;

/** When the venue fills the old order: with the tick, as the move's new stop reaches it, or when the scheduler says. */
type FillMoment = 'at-tick' | 'with-place' | 'scheduled';

interface Plan {
  readonly fill: FillMoment;
  /** A second, higher tick at a scheduled moment (a move coalesced into, or following, the first). */
  readonly secondTick: boolean;
}

const planArbitrary: fc.Arbitrary<Plan> = fc.record({
  fill: fc.constantFrom<FillMoment>('at-tick', 'with-place', 'scheduled'),
  secondTick: fc.boolean(),
});

/** Where the fill's update reached the registry, relative to the move's answers. */
type Arrival = 'before the place answer' | 'between place and cancel answers' | 'after the cancel answer';

interface Outcome {
  readonly venue: PaperExchange;
  readonly store: MemoryStateStore;
  readonly registry: TrailingStopRegistry;
  readonly old: StopOrder;
  /** True when the venue filled the old order (a scheduled fill may find it cancelled already). */
  readonly filled: boolean;
  readonly triggered: TriggeredEvent[];
  readonly arrival: Arrival | undefined;
  /** True when the cleanup after the fill gave up (an `error` event, operation `trigger`): see the known defect. */
  readonly cleanupGaveUp: boolean;
}

async function runRace(scheduler: fc.Scheduler, plan: Plan, naive?: (registry: RegistryOf) => UpdateRoute): Promise<Outcome> {
  const gate = new RaceGate();
  const venue = new PaperExchange();
  const store = new MemoryStateStore();
  // The naive handler consults the registry it feeds, built just below.
  let built: TrailingStopRegistry | undefined;
  const registry = new TrailingStopRegistry({
    placer: gate.placer(venue, naive?.(() => built)),
    store: gate.store(store),
    clock: gate.clock(),
    owner: 'bot',
    activationPercent: 0,
    callbackPercent: 1,
    minUpdateIntervalMs: 0,
    minImprovementPercent: 0,
    timeoutMs: 1_000,
    confirmTriggerMs: 10,
    retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 1 },
  });
  built = registry;
  const triggered: TriggeredEvent[] = [];
  registry.on('triggered', (event) => triggered.push(event));
  let cleanupGaveUp = false;
  registry.on('error', (event) => {
    if (event.operation === 'trigger') cleanupGaveUp = true;
  });
  venue.setPrice(key, 100);
  const stop = await registry.create({ symbol: key, side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2 });
  await registry.onIdle();
  await turn();
  const old = stop.order!;
  expect(venue.liveOrders(key).map((order) => order.id)).toEqual([old.id]);

  let filled = false;
  const fillOld = () => {
    if (!filled) filled = venue.fillPartially(old.id, old.quantity);
  };
  gate.scheduler = scheduler;
  if (plan.fill === 'with-place') {
    gate.afterCall = (operation) => {
      if (operation === 'placeStop') fillOld();
    };
  }
  // The rally: the registry moves the stop up, placing the new stop before cancelling the old.
  venue.setPrice(key, 105);
  registry.updatePrice(key, 105);
  if (plan.fill === 'at-tick') fillOld();
  if (plan.fill === 'scheduled') void scheduler.schedule(Promise.resolve(), 'the venue fills the old order').then(fillOld);
  if (plan.secondTick) {
    void scheduler.schedule(Promise.resolve(), 'tick 110').then(() => {
      venue.setPrice(key, 110);
      registry.updatePrice(key, 110);
    });
  }
  await quiesce(scheduler, () => registry.onIdle());
  gate.scheduler = undefined;
  gate.afterCall = undefined;

  const steps = gate.steps;
  const fillAt = steps.findIndex((step) => step.what === 'update' && step.name === 'filled' && step.clientOrderId === old.clientOrderId);
  const placeAt = steps.findIndex((step) => step.what === 'answer' && step.name === 'placeStop' && step.clientOrderId !== old.clientOrderId);
  const cancelAt = steps.findIndex((step) => step.what === 'answer' && step.name === 'cancelStop' && step.clientOrderId === old.clientOrderId);
  let arrival: Arrival | undefined;
  if (fillAt >= 0) {
    if (placeAt < 0 || fillAt < placeAt) arrival = 'before the place answer';
    else if (cancelAt < 0 || fillAt < cancelAt) arrival = 'between place and cancel answers';
    else arrival = 'after the cancel answer';
  }
  return { venue, store, registry, old, filled, triggered, arrival, cleanupGaveUp };
}

/** The property: what the venue did decides what is left. */
async function checkQuiet(outcome: Outcome): Promise<void> {
  const { venue, store, registry, filled, triggered } = outcome;
  const stop = registry.get(key)!;
  const live = venue.liveOrders(key);
  if (filled) {
    expect(live, 'live orders at quiescence after the venue filled the old order').toHaveLength(0);
    expect(triggered, 'triggered events after the venue filled the old order').toHaveLength(1);
    expect(triggered[0]!.source).toBe('venue');
    expect(stop.state).toBe('triggered');
    expect(registry.stats.triggered).toBe(1);
    // Known defect (replayed below): when every cancel of the other half timed out, the cleanup
    // gives up (reported) instead of being owed, and the record stays. Here those cancels reached
    // the venue (only their answers were late), so no order is left; the replay shows one left.
    if (outcome.cleanupGaveUp) gaveUp++;
    else expect(await store.load(key), 'the record of a filled stop is gone').toBeUndefined();
  } else {
    expect(live.map((order) => order.id), 'live orders when nothing filled: the stop order only').toEqual([stop.order?.id]);
    expect(triggered, 'triggered events when nothing filled').toHaveLength(0);
    expect(stop.state).toBe('active');
  }
}

/** Where fills arrived in the runs of the property (the race must visit every position). */
const arrivals = new Map<Arrival, number>();
/** Runs whose cleanup after the fill gave up (the known defect's signature). */
let gaveUp = 0;

describe('the venue fills the old order during a make-before-break move', () => {
  it(`zero live orders and one triggered event at quiescence, under ${numRuns} scheduled interleavings`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), planArbitrary, async (scheduler, plan) => {
        const outcome = await runRace(scheduler, plan);
        try {
          await checkQuiet(outcome);
          if (outcome.arrival !== undefined) arrivals.set(outcome.arrival, (arrivals.get(outcome.arrival) ?? 0) + 1);
        } finally {
          await outcome.registry.close();
        }
      }),
      { numRuns },
    );
    for (const arrival of ['before the place answer', 'between place and cancel answers', 'after the cancel answer'] as const) {
      expect(arrivals.get(arrival) ?? 0, `fills that arrived ${arrival}`).toBeGreaterThan(0);
    }
  });

  for (const [name, naive, message] of [
    ['ignores fills of an order the stop no longer names', ignoreFillsOfReplacedOrders, /after the venue filled the old order/],
    ['treats every cancel as a cancel by hand of the current order', everyCancelIsExternal, /when nothing filled/],
  ] as const) {
    it(`the same property FAILS with a naive handler that ${name} (the test has teeth)`, async () => {
      const result = await fc.check(
        fc.asyncProperty(fc.scheduler(), planArbitrary, async (scheduler, plan) => {
          const outcome = await runRace(scheduler, plan, naive);
          try {
            await checkQuiet(outcome);
          } finally {
            await outcome.registry.close();
          }
        }),
        { numRuns },
      );
      expect(result.failed, 'fast-check must find an interleaving that breaks the naive handler').toBe(true);
      expect(String(result.errorInstance)).toMatch(message);
    });
  }

  /*
   * Found by the property above, then made deterministic: StopEndings.venueFilled cancelled the
   * other half of the move with a plain gateway call and, when that gave up (every attempt timed
   * out, the lookup too), only reported an error. The cancel is owed now (RecordWriter.compensate):
   * retried with backoff until the venue answers again. While the venue does not answer, onIdle()
   * waits (an owed cleanup is due), so the test drives virtual time through the outage instead.
   */
  it('a cancel of the new half after the fill that times out is owed: once the venue answers again, no order is left', async () => {
    const clock = new VirtualClock();
    let outage = false;
    const venue = new PaperExchange({ clock, orderUpdates: 'manual', fault: (call) => (outage && call.operation === 'cancelStop' ? 'hang' : undefined) });
    const store = new MemoryStateStore();
    const world = { clock, venue };
    const registry = new TrailingStopRegistry({
      placer: venue,
      store,
      clock,
      activationPercent: 0,
      callbackPercent: 1,
      minUpdateIntervalMs: 0,
      minImprovementPercent: 0,
      timeoutMs: 100,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    venue.setPrice(key, 100);
    const stop = await drive(world, registry.create({ symbol: key, side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2 }));
    await settle(world, () => registry.onIdle());
    const old = stop.order!;
    // The rally starts the move; the venue fills the old stop as the new one reaches it.
    venue.setPrice(key, 105);
    registry.updatePrice(key, 105);
    expect(venue.fillPartially(old.id, old.quantity)).toBe(true);
    outage = true;
    await drive(world, clock.sleep(10_000));
    expect(stop.state).toBe('triggered');
    // The venue answers again; a minute later every owed cleanup has had its chance.
    outage = false;
    await drive(world, clock.sleep(60_000));
    await settle(world, () => registry.onIdle());
    expect(venue.liveOrders(key), 'no order left for a flat position').toEqual([]);
    expect(await store.load(key), 'the record of a filled stop is gone').toBeUndefined();
    await drive(world, registry.close());
  });
});
