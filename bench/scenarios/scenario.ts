/**
 * What a scenario is, what it returns, and the repetition loop they share: every repetition runs
 * each strategy once, in a fresh (seeded) random order, each on a fresh venue and store.
 */
import { shuffled } from '../support/random.js';
import { summarize, type Summary } from '../support/stats.js';
import { collectGarbage, nextTurn } from '../support/timing.js';
import { isCountMetric, type MetricName } from '../report/metrics.js';

/** Names of the scenarios, as they appear in the results. */
export type ScenarioName = 'wave' | 'storm' | 'ticks' | 'create-overhead' | 'memory' | 'sync' | 'fleet' | 'spike' | 'recovery';

/** What a scenario gets from the runner. */
export interface ScenarioContext {
  /** Smaller sizes and fewer repetitions, for a CI smoke run. */
  readonly quick: boolean;
  /** Shows the current step on the progress line. */
  readonly progress: (message: string) => void;
  /** Seeded randomness for strategy orders. */
  readonly random: () => number;
}

/** Metrics of one strategy in one repetition. */
export type Metrics = Partial<Record<MetricName, number>>;

/** A scenario's outcome: per strategy, per metric, the summary over repetitions. */
export interface ScenarioResult {
  readonly name: ScenarioName;
  /** One line: what it measures. */
  readonly description: string;
  /** Sizes and settings, recorded with the results. */
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly repetitions: number;
  /** Strategy name -> metric name -> summary, strategies in table order. */
  readonly strategies: Readonly<Record<string, Readonly<Partial<Record<MetricName, Summary>>>>>;
  /** Observations worth reading beside the numbers (checks, caveats, diagnostics). */
  readonly notes: readonly string[];
  /** Set when the scenario did not run, with the reason. */
  readonly skipped?: string;
}

/** A runnable scenario. */
export interface Scenario {
  readonly name: ScenarioName;
  readonly description: string;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

/**
 * Runs `measure` for every strategy `repetitions` times, in a fresh random order each time, with
 * a garbage collection and a turn of the event loop before each measurement. Returns the
 * summaries in `strategies` order.
 */
export async function repeat<S extends string>(
  context: ScenarioContext,
  scenario: ScenarioName,
  strategies: readonly S[],
  repetitions: number,
  measure: (strategy: S, repetition: number) => Promise<Metrics>,
): Promise<Record<S, Partial<Record<MetricName, Summary>>>> {
  const samples = new Map<S, Map<MetricName, number[]>>(strategies.map((strategy) => [strategy, new Map()]));
  for (let repetition = 0; repetition < repetitions; repetition++) {
    for (const strategy of shuffled(strategies, context.random)) {
      context.progress(`${scenario}: ${strategy} (run ${repetition + 1}/${repetitions})`);
      collectGarbage();
      await nextTurn();
      const metrics = await measure(strategy, repetition);
      const perMetric = samples.get(strategy)!;
      for (const [name, value] of Object.entries(metrics) as [MetricName, number][]) {
        if (!perMetric.has(name)) perMetric.set(name, []);
        perMetric.get(name)!.push(value);
      }
    }
  }
  const result = {} as Record<S, Partial<Record<MetricName, Summary>>>;
  for (const strategy of strategies) {
    const summaries: Partial<Record<MetricName, Summary>> = {};
    for (const [name, values] of samples.get(strategy)!) summaries[name] = summarize(values, isCountMetric(name));
    result[strategy] = summaries;
  }
  return result;
}

/** A result for a scenario that could not run here. */
export function skippedResult(name: ScenarioName, description: string, reason: string): ScenarioResult {
  return { name, description, parameters: {}, repetitions: 0, strategies: {}, notes: [], skipped: reason };
}
