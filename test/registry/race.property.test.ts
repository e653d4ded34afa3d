/**
 * Race properties (I1, I2, I4) under every interleaving fast-check's scheduler picks: two
 * registries share one store and one exchange, callers create and remove concurrently, every
 * exchange answer, store answer and timer (timeouts included) resolves in a scheduled order.
 * The same property runs against the naive check-work-double-check variant and must fail there.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TrailingStopRegistry, MemoryStateStore, PaperExchange, type StateStore, type TrailingStop } from '../../src/index.js';
import { DoubleCheckRegistry } from '../naive/double-check-registry.js';
import { scheduledClock, scheduledPlacer, scheduledStore } from '../support/scheduled.js';

// Deterministic in CI; `FC_SEED=<n>` explores another part of the input space.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_202) });

const keys = ['BTC', 'ETH', 'SOL'] as const;
const numRuns = 200;

type Command = { readonly registry: 0 | 1; readonly action: 'create' | 'remove'; readonly key: (typeof keys)[number] };

const commandArbitrary = fc.record({
  registry: fc.constantFrom(0 as const, 1 as const),
  action: fc.constantFrom('create' as const, 'create' as const, 'remove' as const),
  key: fc.constantFrom(...keys),
});

const spec = (key: string) => ({ symbol: key, side: 'long' as const, entryPrice: 100, quantity: 1, stopLossPercent: 2 });

/** What every strategy exposes to the property. */
interface Subject {
  create(registry: 0 | 1, key: string): Promise<unknown>;
  remove(registry: 0 | 1, key: string): Promise<unknown>;
  settle(): Promise<void>;
}

/** How a caller's create or remove ended. */
type Outcome = { readonly ok: true; readonly value: unknown; readonly command: Command } | { readonly ok: false; readonly error: unknown; readonly command: Command };

/**
 * Checks I2 (and exactly-once placement when nothing was removed and no creation failed) at
 * quiescence. A creation whose placement failed for good leaves a `failed` record, which a later
 * creation replaces by design (a stale record: deleted, claimed again for a fresh position with
 * fresh client order ids), so that key may have seen two orders, one of them cancelled.
 */
async function checkExchangeAgainstStore(exchange: PaperExchange, store: MemoryStateStore, commands: readonly Command[], outcomes: readonly Outcome[] = []) {
  for (const key of keys) {
    const live = exchange.liveOrders(key);
    const record = await store.load(key);
    const protectedNow = record !== undefined && (record.state === 'waiting' || record.state === 'active');
    // I2: one live order per active stop, none otherwise (no orphans).
    expect(live.length, `live orders for ${key}`).toBe(protectedNow ? 1 : 0);
    if (protectedNow) expect(live[0]!.id, `record order for ${key}`).toBe(record!.order?.id);
    const removed = commands.some((command) => command.key === key && command.action === 'remove');
    const created = commands.some((command) => command.key === key && command.action === 'create');
    const placementFailed = outcomes.some(
      (outcome) => !outcome.ok && outcome.command.key === key && (outcome.error as { code?: string }).code === 'ERR_PLACEMENT_FAILED',
    );
    const failed = record?.state === 'failed' || placementFailed;
    if (created && !removed && !failed) {
      // Exactly once: one order ever placed for the key, however many callers raced.
      expect(exchange.allOrders().filter((order) => order.symbol === key).length, `orders ever placed for ${key}`).toBe(1);
    }
  }
}

async function runScenario(scheduler: fc.Scheduler, commands: readonly Command[], makeSubject: (placer: PaperExchange, store: MemoryStateStore, scheduler: fc.Scheduler) => Subject) {
  const exchange = new PaperExchange();
  const store = new MemoryStateStore();
  const subject = makeSubject(exchange, store, scheduler);
  const calls = commands.map((command) =>
    (command.action === 'create' ? subject.create(command.registry, command.key) : subject.remove(command.registry, command.key)).then(
      (value) => ({ ok: true as const, value, command }),
      (error: unknown) => ({ ok: false as const, error, command }),
    ),
  );
  await scheduler.waitFor(Promise.all(calls));
  const outcomes = await Promise.all(calls);
  // As a bot would: a removal that failed (every cancel and lookup timed out) is tried again.
  for (const outcome of outcomes) {
    if (outcome.ok || outcome.command.action !== 'remove') continue;
    for (let attempt = 0; attempt < 5; attempt++) {
      const retried = await scheduler.waitFor(subject.remove(outcome.command.registry, outcome.command.key).then(() => true, () => false));
      if (retried) break;
    }
  }
  await scheduler.waitFor(subject.settle());
  await scheduler.waitAll();
  return { exchange, store, outcomes };
}

/** Claims (store inserts) per registry and key: single flight means one per registry per key. */
const claims = new Map<string, number>();

function countingStore(store: MemoryStateStore, owner: string): StateStore {
  return {
    load: (key) => store.load(key),
    list: () => store.list(),
    insert: (record) => {
      claims.set(`${owner}:${record.key}`, (claims.get(`${owner}:${record.key}`) ?? 0) + 1);
      return store.insert(record);
    },
    compareAndSet: (next, expected) => store.compareAndSet(next, expected),
    delete: (key, expected) => store.delete(key, expected),
    close: () => store.close(),
  };
}

function registrySubject(exchange: PaperExchange, store: MemoryStateStore, scheduler: fc.Scheduler) {
  claims.clear();
  const registries = ([0, 1] as const).map(
    (index) =>
      new TrailingStopRegistry({
        placer: scheduledPlacer(exchange, scheduler),
        store: scheduledStore(countingStore(store, `bot-${index}`), scheduler),
        clock: scheduledClock(scheduler),
        owner: `bot-${index}`,
        timeoutMs: 1_000,
        concurrency: 4,
        retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 1 },
      }),
  );
  return {
    registries,
    subject: {
      create: (registry: 0 | 1, key: string) => registries[registry]!.create(spec(key)),
      remove: (registry: 0 | 1, key: string) => registries[registry]!.remove(key),
      settle: async () => {
        await Promise.all(registries.map((registry) => registry.onIdle()));
      },
    } satisfies Subject,
  };
}

describe('race properties with two registries sharing a store and an exchange', () => {
  it(`I1, I2 and I4 hold under ${numRuns} scheduled interleavings of create and remove`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(commandArbitrary, { minLength: 1, maxLength: 8 }), async (scheduler, commands) => {
        let registries: TrailingStopRegistry[] = [];
        const { exchange, store, outcomes } = await runScenario(scheduler, commands, (placer, shared, s) => {
          const made = registrySubject(placer, shared, s);
          registries = made.registries;
          return made.subject;
        });
        for (const outcome of outcomes) {
          if (!outcome.ok) {
            // A creation ends only by a racing removal or a reported placement failure (every
            // attempt and lookup timed out); a removal only by timeouts. Nothing else, never silently.
            const allowed = outcome.command.action === 'create' ? ['ERR_REMOVED', 'ERR_PLACEMENT_FAILED'] : ['ERR_TIMEOUT', 'ERR_PLACEMENT_FAILED'];
            expect(allowed, String(outcome.error)).toContain((outcome.error as { code?: string }).code);
          }
        }
        await checkExchangeAgainstStore(exchange, store, commands, outcomes);
        for (const key of keys) {
          const removed = commands.some((command) => command.key === key && command.action === 'remove');
          const record = await store.load(key);
          if (!removed) {
            // I1: every caller of one registry got the same object; both registries agree on the order.
            // A creation that failed for good leaves a failed record: a racing creation's claim
            // loses to it, then replaces it (deleted, claimed again), so it inserts more than once.
            const placementFailed = outcomes.some(
              (outcome) => !outcome.ok && outcome.command.key === key && (outcome.error as { code?: string }).code === 'ERR_PLACEMENT_FAILED',
            );
            for (const [index, registry] of registries.entries()) {
              // Single flight: however many callers, one claim per registry.
              if (!placementFailed) expect(claims.get(`bot-${index}:${key}`) ?? 0, `claims by bot-${index} for ${key}`).toBeLessThanOrEqual(1);
              const stops = outcomes
                .filter((outcome) => outcome.ok && outcome.command.key === key && outcome.command.registry === index)
                .map((outcome) => (outcome as { value: TrailingStop }).value);
              for (const stop of stops) expect(stop).toBe(stops[0]);
              if (stops.length > 0) {
                expect(registry.get(key)).toBe(stops[0]);
                // I4: memory agrees with the store.
                expect(stops[0]!.order?.id).toBe(record?.order?.id);
                expect(stops[0]!.version).toBe(record?.version);
              }
            }
          } else {
            // After removals, whatever a registry still holds must match the store when the store has it.
            for (const registry of registries) {
              const held = registry.get(key);
              if (held !== undefined && record !== undefined && held.positionId === record.positionId && held.state !== 'closed') {
                expect(held.order?.id).toBe(record.order?.id);
              }
            }
          }
        }
      }),
      { numRuns },
    );
  });

  it('I4 holds strictly for one registry: memory and store agree at quiescence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(commandArbitrary, { minLength: 1, maxLength: 8 }), async (scheduler, commands) => {
        let registry!: TrailingStopRegistry;
        const single = commands.map((command) => ({ ...command, registry: 0 as const }));
        const { exchange, store } = await runScenario(scheduler, single, (placer, shared, s) => {
          const made = registrySubject(placer, shared, s);
          registry = made.registries[0]!;
          return made.subject;
        });
        await checkExchangeAgainstStore(exchange, store, single);
        for (const key of keys) {
          const record = await store.load(key);
          const held = registry.get(key);
          expect(held === undefined, `memory holds ${key} iff the store does`).toBe(record === undefined);
          if (held !== undefined && record !== undefined) {
            expect(held.version).toBe(record.version);
            expect(held.order?.id).toBe(record.order?.id);
            expect(held.state).toBe(record.state);
          }
        }
      }),
      { numRuns },
    );
  });

  it('the same property FAILS against the naive check-work-double-check variant (the test has teeth)', async () => {
    const result = await fc.check(
      fc.asyncProperty(fc.scheduler(), fc.array(commandArbitrary, { minLength: 1, maxLength: 8 }), async (scheduler, commands) => {
        const { exchange, store } = await runScenario(scheduler, commands, (placer, shared, s) => {
          const naive = [0, 1].map(
            (index) => new DoubleCheckRegistry({ placer: scheduledPlacer(placer, s), store: scheduledStore(shared, s), owner: `naive-${index}` }),
          );
          return {
            create: (registry, key) => naive[registry]!.create(spec(key)),
            remove: (registry, key) => naive[registry]!.remove(key),
            settle: async () => {},
          };
        });
        await checkExchangeAgainstStore(exchange, store, commands);
      }),
      { numRuns },
    );
    expect(result.failed, 'fast-check must find an interleaving that breaks the naive variant').toBe(true);
    expect(String(result.errorInstance)).toMatch(/live orders|orders ever placed|record order/);
  });
});
