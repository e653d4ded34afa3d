/** Turns a scenario result into rows of printable cells, shared by the text and markdown tables. */
import type { ScenarioResult } from '../scenarios/scenario.js';
import { formatValue, metricLabel, type MetricName } from './metrics.js';

/** Heading and rows of one scenario's table. */
export interface Grid {
  readonly heading: string[];
  readonly rows: string[][];
}

/** The metrics of a result, in first-seen order. */
export function metricsOf(result: ScenarioResult): MetricName[] {
  const names: MetricName[] = [];
  for (const metrics of Object.values(result.strategies)) {
    for (const name of Object.keys(metrics) as MetricName[]) if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Cells as "median" or "median (min-max)" when the runs differed. */
export function grid(result: ScenarioResult): Grid {
  const metrics = metricsOf(result);
  const rows = Object.entries(result.strategies).map(([strategy, summaries]) => [
    strategy,
    ...metrics.map((name) => {
      const summary = summaries[name];
      if (summary === undefined) return '';
      const median = formatValue(name, summary.median);
      const min = formatValue(name, summary.min);
      const max = formatValue(name, summary.max);
      return min === max ? median : `${median} (${min}–${max})`;
    }),
  ]);
  return { heading: ['strategy', ...metrics.map(metricLabel)], rows };
}

/** One line describing sizes and runs. */
export function parameterLine(result: ScenarioResult): string {
  const parameters = Object.entries(result.parameters)
    .filter(([name]) => name !== 'repetitions')
    .map(([name, value]) => `${name} ${typeof value === 'number' ? value.toLocaleString('en-US') : String(value)}`);
  return `${parameters.join(', ')}; ${result.repetitions} run(s), median (min–max)`;
}
