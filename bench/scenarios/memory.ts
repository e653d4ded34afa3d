/**
 * `memory`: retained heap per live stop. Runs scenarios/memory-child.ts in a child process started
 * with --expose-gc (so the main run needs no flag), once per repetition; see that file for what is
 * measured.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { summarize } from '../support/stats.js';
import { repeat, type Scenario } from './scenario.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

interface ChildReport {
  readonly bytesPerStop: number;
  readonly before: number;
  readonly after: number;
  readonly stops: number;
  readonly live: number;
}

async function measure(stops: number, store: 'memory' | 'remote'): Promise<ChildReport> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--no-warnings', '--import', 'tsx', child, String(stops), store], {
    cwd: root,
    maxBuffer: 1024 * 1024,
  });
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildReport;
  if (report.live !== stops) throw new Error(`memory: expected ${stops} live stops, the child reports ${report.live}`);
  return report;
}

export const memory: Scenario = {
  name: 'memory',
  description: 'retained heap per live stop (registry plus its default in-memory store), in a --expose-gc child process',
  async run(context) {
    const stops = context.quick ? 10_000 : 100_000;
    const repetitions = context.quick ? 1 : 5;
    let last: ChildReport | undefined;
    const registryAlone: number[] = [];
    const strategies = await repeat(context, 'memory', ['registry'] as const, repetitions, async () => {
      last = await measure(stops, 'memory');
      context.progress(`memory: registry with a remote store`);
      registryAlone.push((await measure(stops, 'remote')).bytesPerStop);
      return { bytesPerStop: last.bytesPerStop };
    });
    const alone = summarize(registryAlone);
    return {
      name: 'memory',
      description: this.description,
      parameters: { stops, symbols: stops, repetitions, state: 'waiting, initial stop order placed' },
      repetitions,
      strategies,
      notes: [
        'Each stop: waiting for activation, protected by an initial stop order; its record lives in the registry\'s default MemoryStateStore, which is counted. ' +
          'The venue answers on the next microtask and keeps nothing in this process.',
        `The registry alone (records sent to a store that keeps nothing in this process, as PostgreSQL would): ` +
          `${alone.median.toFixed(0)} bytes per stop (${alone.min.toFixed(0)}–${alone.max.toFixed(0)}); the rest of bytesPerStop is the MemoryStateStore's copy of each record.`,
        `Last run: heapUsed ${(last!.before / 1024 ** 2).toFixed(1)} MiB before, ${(last!.after / 1024 ** 2).toFixed(1)} MiB after ${stops.toLocaleString('en-US')} stops.`,
      ],
    };
  },
};
