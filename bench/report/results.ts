/**
 * The results file: `{ machine, scenarios: { <scenario>: { <strategy>: { <metric>: median } } } }`
 * plus, beside `scenarios`, the ranges (min, max, runs), parameters, notes, targets and skipped
 * scenarios. `scenarios` holds only numbers, under the fixed scenario, strategy and metric names.
 */
import type { MachineInfo } from '../support/machine.js';
import type { ScenarioResult } from '../scenarios/scenario.js';
import { roundForJson, type MetricName } from './metrics.js';
import type { TargetOutcome } from './targets.js';

/** Options the run was started with. */
export interface RunInfo {
  readonly quick: boolean;
  readonly only: readonly string[] | null;
  /** True when each scenario ran in a child process of its own (the default). */
  readonly isolated: boolean;
  readonly seconds: number;
}

/** The JSON document written to bench/results. */
export interface ResultsDocument {
  readonly machine: MachineInfo;
  readonly run: RunInfo;
  readonly scenarios: Record<string, Record<string, Partial<Record<MetricName, number>>>>;
  readonly ranges: Record<string, Record<string, Partial<Record<MetricName, { min: number; max: number; runs: number }>>>>;
  readonly parameters: Record<string, Readonly<Record<string, string | number | boolean>>>;
  readonly notes: Record<string, readonly string[]>;
  readonly targets: readonly TargetOutcome[];
  readonly skipped: Record<string, string>;
}

/** Builds the JSON document from the scenario results. */
export function resultsDocument(
  machine: MachineInfo,
  run: RunInfo,
  results: readonly ScenarioResult[],
  targets: readonly TargetOutcome[],
): ResultsDocument {
  const document: ResultsDocument = { machine, run, scenarios: {}, ranges: {}, parameters: {}, notes: {}, targets, skipped: {} };
  for (const result of results) {
    if (result.skipped !== undefined) {
      document.skipped[result.name] = result.skipped;
      continue;
    }
    const medians: ResultsDocument['scenarios'][string] = {};
    const ranges: ResultsDocument['ranges'][string] = {};
    for (const [strategy, metrics] of Object.entries(result.strategies)) {
      medians[strategy] = {};
      ranges[strategy] = {};
      for (const [name, summary] of Object.entries(metrics) as [MetricName, NonNullable<(typeof metrics)[MetricName]>][]) {
        medians[strategy]![name] = roundForJson(name, summary.median);
        ranges[strategy]![name] = { min: roundForJson(name, summary.min), max: roundForJson(name, summary.max), runs: summary.samples.length };
      }
    }
    document.scenarios[result.name] = medians;
    document.ranges[result.name] = ranges;
    document.parameters[result.name] = result.parameters;
    document.notes[result.name] = result.notes;
  }
  return document;
}
