/**
 * The issue's targets, checked against the medians of one run. Informational only: the run never
 * fails on a missed target (CI runs the quick mode to prove the benchmarks work, never to assert
 * timings).
 */
import type { ScenarioName, ScenarioResult } from '../scenarios/scenario.js';
import type { MetricName } from './metrics.js';

/** One target's outcome. */
export interface TargetOutcome {
  readonly scenario: ScenarioName;
  readonly target: string;
  readonly measured: string;
  readonly status: 'met' | 'missed' | 'not run';
}

type Lookup = (strategy: string, metric: MetricName) => number | undefined;

interface Target {
  readonly scenario: ScenarioName;
  readonly target: string;
  /** Returns [met, measured text], or undefined when a value is missing. */
  readonly check: (value: Lookup) => [boolean, string] | undefined;
}

const times = (value: number) => `${value.toFixed(value >= 100 ? 0 : 2)}x`;
const millions = (value: number) => `${(value / 1e6).toFixed(2)} M/s`;

const targets: readonly Target[] = [
  {
    scenario: 'wave',
    target: 'registry wallMs <= 1.15 x idealMs',
    check: (value) => {
      const wall = value('registry', 'wallMs');
      const ideal = value('registry', 'idealMs');
      if (wall === undefined || ideal === undefined) return undefined;
      return [wall <= 1.15 * ideal, `${wall.toFixed(1)} ms = ${(wall / ideal).toFixed(3)} x ${ideal} ms`];
    },
  },
  {
    scenario: 'wave',
    target: 'registry >= 20 x faster than global-lock',
    check: (value) => {
      const wall = value('registry', 'wallMs');
      const locked = value('global-lock', 'wallMs');
      if (wall === undefined || locked === undefined) return undefined;
      return [locked / wall >= 20, `${times(locked / wall)} (${locked.toFixed(0)} ms / ${wall.toFixed(1)} ms)`];
    },
  },
  {
    scenario: 'storm',
    target: 'registry: exactly 1 exchange call, 0 orphans',
    check: (value) => {
      const calls = value('registry', 'exchangeCalls');
      const orphans = value('registry', 'orphans');
      if (calls === undefined || orphans === undefined) return undefined;
      return [calls === 1 && orphans === 0, `${calls} call(s), ${orphans} orphan(s)`];
    },
  },
  {
    scenario: 'storm',
    target: 'double-check: 100 exchange calls (the seed bot\'s defect, reproduced)',
    check: (value) => {
      const calls = value('double-check', 'exchangeCalls');
      const orphans = value('double-check', 'orphans');
      if (calls === undefined || orphans === undefined) return undefined;
      return [calls === 100, `${calls} calls, ${orphans} orphans`];
    },
  },
  {
    scenario: 'ticks',
    target: 'registry >= 5,000,000 ticks per second',
    check: (value) => {
      const rate = value('registry', 'ticksPerSecond');
      return rate === undefined ? undefined : [rate >= 5e6, millions(rate)];
    },
  },
  {
    scenario: 'ticks',
    target: 'registry >= 0.1 x the bare baseline',
    check: (value) => {
      const ratio = value('registry', 'ratio');
      const baseline = value('baseline', 'ticksPerSecond');
      if (ratio === undefined || baseline === undefined) return undefined;
      return [ratio >= 0.1, `${ratio.toFixed(3)} x (baseline ${millions(baseline)})`];
    },
  },
  {
    scenario: 'create-overhead',
    target: 'registry >= 0.5 x the speed of double-check',
    check: (value) => {
      const registry = value('registry', 'createsPerSecond');
      const naive = value('double-check', 'createsPerSecond');
      if (registry === undefined || naive === undefined) return undefined;
      return [registry >= 0.5 * naive, `${(registry / naive).toFixed(2)} x (${registry.toFixed(0)} / ${naive.toFixed(0)} creates/s)`];
    },
  },
  {
    scenario: 'memory',
    target: 'registry <= 1,024 bytes per live stop',
    check: (value) => {
      const bytes = value('registry', 'bytesPerStop');
      return bytes === undefined ? undefined : [bytes <= 1_024, `${bytes.toFixed(0)} bytes`];
    },
  },
  {
    scenario: 'sync',
    target: '<= 2 exchange calls for the 1,000 ticks',
    check: (value) => {
      const safe = value('make-before-break', 'exchangeCalls');
      const unsafe = value('cancel-then-place', 'exchangeCalls');
      if (safe === undefined || unsafe === undefined) return undefined;
      return [safe <= 2 && unsafe <= 2, `make-before-break ${safe}, cancel-then-place ${unsafe}`];
    },
  },
  {
    scenario: 'sync',
    target: 'make-before-break unprotectedMs = 0',
    check: (value) => {
      const safe = value('make-before-break', 'unprotectedMs');
      const unsafe = value('cancel-then-place', 'unprotectedMs');
      if (safe === undefined) return undefined;
      return [safe === 0, `${safe.toFixed(1)} ms (cancel-then-place: ${unsafe?.toFixed(1) ?? '?'} ms)`];
    },
  },
  {
    scenario: 'spike',
    target: 'registry: 0 rate-limit errors; unbudgeted: more than 0',
    check: (value) => {
      const registry = value('registry', 'rateLimitErrors');
      const unbudgeted = value('unbudgeted', 'rateLimitErrors');
      if (registry === undefined || unbudgeted === undefined) return undefined;
      return [registry === 0 && unbudgeted > 0, `registry ${registry}, unbudgeted ${unbudgeted}`];
    },
  },
  {
    scenario: 'spike',
    target: "registry lagPercentMean <= 0.8 x round-robin's",
    check: (value) => {
      const registry = value('registry', 'lagPercentMean');
      const roundRobin = value('round-robin', 'lagPercentMean');
      if (registry === undefined || roundRobin === undefined) return undefined;
      return [registry <= 0.8 * roundRobin, `${(registry / roundRobin).toFixed(3)} x (${registry.toFixed(3)} % / ${roundRobin.toFixed(3)} %)`];
    },
  },
  {
    scenario: 'spike',
    target: 'registry: every new position protected within one intervalMs (1,000 ms)',
    check: (value) => {
      const protectedMs = value('registry', 'newPositionProtectedMsMax');
      const roundRobin = value('round-robin', 'newPositionProtectedMsMax');
      if (protectedMs === undefined) return undefined;
      return [protectedMs <= 1_000, `${protectedMs.toFixed(0)} ms (round-robin: ${roundRobin?.toFixed(0) ?? '?'} ms)`];
    },
  },
  {
    scenario: 'recovery',
    target: 'sqlite: restore of 10,000 stops <= 2,000 ms',
    check: (value) => {
      const wall = value('sqlite-10000', 'wallMs');
      const postgres = value('postgres-10000', 'wallMs');
      if (wall === undefined) return undefined;
      return [wall <= 2_000, `${wall.toFixed(0)} ms${postgres === undefined ? '' : ` (postgres: ${postgres.toFixed(0)} ms)`}`];
    },
  },
  {
    scenario: 'recovery',
    target: 'sqlite: linear cost (per stop at 10,000 <= 1.5 x per stop at 1,000)',
    check: (value) => {
      const small = value('sqlite-1000', 'wallMs');
      const large = value('sqlite-10000', 'wallMs');
      if (small === undefined || large === undefined) return undefined;
      const ratio = large / 10_000 / (small / 1_000);
      return [ratio <= 1.5, `${ratio.toFixed(2)} x (${((small / 1_000) * 1_000).toFixed(0)} µs -> ${((large / 10_000) * 1_000).toFixed(0)} µs per stop)`];
    },
  },
  {
    scenario: 'recovery',
    target: 'venue requests <= one listing per symbol (500 for 10,000 stops)',
    check: (value) => {
      const requests = value('sqlite-10000', 'venueRequests');
      if (requests === undefined) return undefined;
      return [requests <= 500, `${requests} request(s) for 10,000 stops on 500 symbols`];
    },
  },
];

/** Checks every target against `results` (medians). */
export function checkTargets(results: readonly ScenarioResult[]): TargetOutcome[] {
  const byName = new Map(results.map((result) => [result.name, result]));
  return targets.map(({ scenario, target, check }) => {
    const result = byName.get(scenario);
    const lookup: Lookup = (strategy, metric) => result?.strategies[strategy]?.[metric]?.median;
    const outcome = result === undefined || result.skipped !== undefined ? undefined : check(lookup);
    if (outcome === undefined) return { scenario, target, measured: '-', status: 'not run' as const };
    return { scenario, target, measured: outcome[1], status: outcome[0] ? ('met' as const) : ('missed' as const) };
  });
}
