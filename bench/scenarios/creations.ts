/**
 * The measurement the creation scenarios (wave, storm, create-overhead) share: launch every
 * creation at once through one strategy, time until all settle, await quiescence, then count
 * what the venue holds.
 */
import { PaperExchange } from '../../src/placers/paper.js';
import { MemoryStateStore } from '../../src/stores/memory.js';
import type { BenchSpec, CreationStrategy, StrategyDefinition } from '../strategies/index.js';
import { liveAndOrphans, totalCalls } from '../support/placers.js';
import { now } from '../support/timing.js';

/** What one run of creations observed. */
export interface CreationRun {
  readonly wallMs: number;
  readonly exchangeCalls: number;
  readonly liveOrders: number;
  readonly orphans: number;
  /** Creations that rejected (none expected). */
  readonly failures: number;
  /** The first rejection's message, for the notes. */
  readonly firstFailure: string | undefined;
  /** Most venue calls at once. */
  readonly maxInFlight: number;
}

/** `count` long specs; `symbolOf(i)` names the key of the i-th. */
export function makeSpecs(count: number, symbolOf: (index: number) => string): BenchSpec[] {
  return Array.from({ length: count }, (_, index) => ({
    symbol: symbolOf(index),
    side: 'long' as const,
    entryPrice: 100,
    quantity: 1,
    stopLossPercent: 2,
  }));
}

/**
 * Runs `specs` through a fresh instance of `definition` on a fresh venue (answering after
 * `latencyMs`; 0 = next microtask) and memory store, under `concurrency`. By default every
 * creation is launched at once; with `callers`, that many callers each create one stop after
 * another (a steady stream with `callers` creations in flight).
 */
export async function runCreations(
  definition: StrategyDefinition,
  specs: readonly BenchSpec[],
  latencyMs: number,
  concurrency: number,
  callers?: number,
): Promise<CreationRun> {
  const exchange = new PaperExchange({ latencyMs });
  const store = new MemoryStateStore();
  const strategy = definition.create({ exchange, store, concurrency });
  const start = now();
  const results = callers === undefined ? await Promise.allSettled(specs.map((spec) => strategy.create(spec))) : await stream(strategy, specs, callers);
  const wallMs = now() - start;
  await strategy.settle();
  const { liveOrders, orphans } = liveAndOrphans(exchange);
  const exchangeCalls = totalCalls(exchange);
  await strategy.close();
  const rejected = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  return {
    wallMs,
    exchangeCalls,
    liveOrders,
    orphans,
    failures: rejected.length,
    firstFailure: rejected[0] === undefined ? undefined : String((rejected[0].reason as Error)?.message ?? rejected[0].reason),
    maxInFlight: exchange.maxInFlight,
  };
}

/** `callers` loops, each awaiting its creation before taking the next spec. */
async function stream(strategy: CreationStrategy, specs: readonly BenchSpec[], callers: number): Promise<PromiseSettledResult<unknown>[]> {
  const results: PromiseSettledResult<unknown>[] = [];
  let next = 0;
  const caller = async () => {
    while (next < specs.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await strategy.create(specs[index]!) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return results;
}

let warmedUp = false;

/**
 * Runs every strategy once, untimed, on a venue answering on the next microtask, so that no
 * measured run pays for compiling a strategy's code. Once per process.
 */
export async function warmUpCreations(strategies: readonly StrategyDefinition[], progress: (message: string) => void): Promise<void> {
  if (warmedUp) return;
  for (const definition of strategies) {
    progress(`warm-up: ${definition.name}`);
    await runCreations(definition, makeSpecs(2_000, (index) => `WARM${index}`), 0, 50);
    await runCreations(definition, makeSpecs(200, () => 'WARM'), 0, 50);
  }
  warmedUp = true;
}

/** Collects failure notes across runs, one line per strategy. */
export class FailureNotes {
  readonly #failures = new Map<string, { count: number; message: string | undefined }>();

  add(strategy: string, run: CreationRun): void {
    if (run.failures === 0) return;
    const previous = this.#failures.get(strategy);
    this.#failures.set(strategy, { count: (previous?.count ?? 0) + run.failures, message: previous?.message ?? run.firstFailure });
  }

  lines(): string[] {
    return [...this.#failures].map(
      ([strategy, { count, message }]) => `${strategy}: ${count} creation(s) rejected over all runs (first: ${message})`,
    );
  }
}
