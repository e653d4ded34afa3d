/**
 * CI's smoke run of the benchmarks: `npm run bench -- --quick` must finish and write results with
 * exactly the scenario, strategy and metric names README documents. Timings are never asserted;
 * exact counts (exchange calls, orphans) are.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

const expected: Record<string, Record<string, string[]>> = {
  wave: Object.fromEntries(
    ['global-lock', 'double-check', 'keyed-mutex', 'registry'].map((name) => [name, ['wallMs', 'idealMs', 'exchangeCalls', 'liveOrders', 'orphans']]),
  ),
  storm: Object.fromEntries(['global-lock', 'double-check', 'keyed-mutex', 'registry'].map((name) => [name, ['exchangeCalls', 'orphans', 'wallMs']])),
  ticks: { registry: ['ticksPerSecond', 'ratio'], baseline: ['ticksPerSecond'] },
  'create-overhead': Object.fromEntries(
    ['global-lock', 'double-check', 'keyed-mutex', 'registry'].map((name) => [name, ['createsPerSecond', 'microsPerCreate']]),
  ),
  memory: { registry: ['bytesPerStop'] },
  sync: { 'make-before-break': ['exchangeCalls', 'cancels', 'unprotectedMs'], 'cancel-then-place': ['exchangeCalls', 'cancels', 'unprotectedMs'] },
  spike: Object.fromEntries(
    ['registry', 'unbudgeted', 'round-robin'].map((name) => [name, ['rateLimitErrors', 'requests', 'lagPercentMean', 'lagPercentMax', 'newPositionProtectedMsMax']]),
  ),
  recovery: Object.fromEntries(
    (process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'])
      .flatMap((store) => [`${store}-1000`, `${store}-10000`])
      .map((name) => [name, ['wallMs', 'venueRequests', 'storeRoundTrips']]),
  ),
};

it('npm run bench -- --quick runs every scenario and reports the documented names', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
  });
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  const report = JSON.parse(readFileSync(join(root, 'bench', 'results', 'quick.json'), 'utf8')) as {
    machine: Record<string, unknown>;
    scenarios: Record<string, Record<string, Record<string, number>>>;
  };
  expect(Object.keys(report.machine).length).toBeGreaterThan(0);
  for (const [scenario, strategies] of Object.entries(expected)) {
    expect(Object.keys(report.scenarios[scenario] ?? {}).sort(), scenario).toEqual(Object.keys(strategies).sort());
    for (const [strategy, metrics] of Object.entries(strategies)) {
      expect(Object.keys(report.scenarios[scenario]![strategy]!).sort(), `${scenario}/${strategy}`).toEqual([...metrics].sort());
    }
  }
  // The library's promises, as exact counts: one order per key, no orphans, one call under a storm.
  expect(report.scenarios.storm!.registry).toMatchObject({ exchangeCalls: 1, orphans: 0 });
  expect(report.scenarios.wave!.registry!.orphans).toBe(0);
  expect(report.scenarios.sync!['make-before-break']!.unprotectedMs).toBe(0);
  // The naive variant's defect is reproduced, not assumed.
  expect(report.scenarios.storm!['double-check']!.orphans).toBeGreaterThan(0);
  // spike runs on a simulated clock, so its counts are exact: the budget meets no 429, the unbudgeted registry many.
  expect(report.scenarios.spike!.registry!.rateLimitErrors).toBe(0);
  expect(report.scenarios.spike!['round-robin']!.rateLimitErrors).toBe(0);
  expect(report.scenarios.spike!.unbudgeted!.rateLimitErrors).toBeGreaterThan(0);
  // A restart reconciles 10,000 stops on 500 symbols with at most one listing per symbol, no lookup per stop.
  expect(report.scenarios.recovery!['sqlite-10000']!.venueRequests).toBeGreaterThan(0);
  expect(report.scenarios.recovery!['sqlite-10000']!.venueRequests).toBeLessThanOrEqual(500);
}, 200_000);
