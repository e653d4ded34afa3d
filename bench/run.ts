/**
 * Benchmarks entry point: `npm run bench [-- --quick] [-- --only wave,storm]`.
 *
 * Runs every scenario (or those named by --only), each in its own child process (so none measures
 * what an earlier one left in the heap), with all its strategies side by side in that process;
 * prints a progress line (stderr) and one table per scenario (stdout), then writes the
 * results: a full run to bench/results/latest.{json,md,svg} (the committed reference run), a quick
 * or partial run to bench/results/quick.* or partial.* (ignored by git), so a smoke run never
 * replaces the reference. Targets are reported, never enforced: the exit code is non-zero only
 * when a scenario could not run to completion.
 */
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scenarios } from './scenarios/index.js';
import type { Scenario, ScenarioResult } from './scenarios/scenario.js';
import { markdownReport } from './report/markdown.js';
import { resultsDocument, type RunInfo } from './report/results.js';
import { chartSvg } from './report/svg.js';
import { machineLine, scenarioTable, targetsTable } from './report/table.js';
import { checkTargets } from './report/targets.js';
import { machineInfo } from './support/machine.js';
import { Progress } from './support/progress.js';
import { seededRandom } from './support/random.js';
import { now } from './support/timing.js';

const usage = `Usage: npm run bench -- [--quick] [--only <scenario>[,<scenario>...]] [--seed <n>] [--in-process]

  --quick         smaller sizes and one run per strategy (CI smoke run, under a minute)
  --only <names>  run only these scenarios: ${scenarios.map((scenario) => scenario.name).join(', ')}
  --seed <n>      seed of the strategy order (default 1)
  --in-process    run the scenarios in this process instead of one child each (for --cpu-prof)

A full run (no --quick, no --only) writes bench/results/latest.{json,md,svg};
other runs write bench/results/quick.* or partial.* instead.`;

interface Options {
  readonly quick: boolean;
  readonly only: string[] | null;
  readonly seed: number;
  readonly inProcess: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      seed: { type: 'string', default: '1' },
      'in-process': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const only = values.only?.flatMap((value) => value.split(',')).map((name) => name.trim()).filter((name) => name.length > 0) ?? null;
  const known = new Set(scenarios.map((scenario) => scenario.name as string));
  const unknown = only?.filter((name) => !known.has(name)) ?? [];
  if (unknown.length > 0) {
    console.error(`Unknown scenario(s): ${unknown.join(', ')}\n\n${usage}`);
    process.exit(2);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    console.error(`Expected --seed to be an integer, got ${values.seed}`);
    process.exit(2);
  }
  return { quick: values.quick ?? false, only, seed, inProcess: values['in-process'] ?? false };
}

/**
 * Node's own warnings would interleave with the tables; collect them and print each kind once at
 * the end, with its count (a MaxListenersExceededWarning from many calls in flight, for example).
 */
class Warnings {
  readonly #seen = new Map<string, { count: number; message: string }>();

  constructor() {
    process.removeAllListeners('warning');
    process.on('warning', (warning) => this.add(warning.name, warning.message));
  }

  add(name: string, message: string): void {
    const key = `${name}: ${message.replace(/\d+/g, 'N')}`;
    const seen = this.#seen.get(key);
    this.#seen.set(key, { count: (seen?.count ?? 0) + 1, message: `${name}: ${message}` });
  }

  print(): void {
    for (const { count, message } of this.#seen.values()) console.error(`(${count} x) ${message}`);
  }
}

const child = fileURLToPath(new URL('./scenario-process.ts', import.meta.url));

/** Runs `scenario` in a child process (see scenario-process.ts). */
function runInChild(scenario: Scenario, options: Options, seed: number, progress: Progress, warnings: Warnings): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const process_ = fork(child, [scenario.name, options.quick ? '1' : '0', String(seed)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    process_.on('message', (message: { type: string; message?: string; name?: string; result?: ScenarioResult }) => {
      if (message.type === 'progress') progress.update(message.message!);
      else if (message.type === 'warning') warnings.add(message.name!, message.message!);
      else if (message.type === 'result') {
        settled = true;
        resolve(message.result!);
      } else if (message.type === 'error') {
        settled = true;
        reject(new Error(message.message));
      }
    });
    process_.on('error', reject);
    process_.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`The ${scenario.name} process exited (${signal ?? `code ${code}`}) without a result`));
    });
  });
}

async function main(): Promise<void> {
  const options = parseOptions();
  const warnings = new Warnings();
  const machine = machineInfo();
  const progress = new Progress();
  const random = seededRandom(options.seed);
  const selected = scenarios.filter((scenario) => options.only === null || options.only.includes(scenario.name));
  console.log(`trailing-stop-registry benchmarks${options.quick ? ' (quick)' : ''}\n${machineLine(machine)}\n`);
  const started = now();
  const results: ScenarioResult[] = [];
  let failed = false;
  for (const [index, scenario] of selected.entries()) {
    progress.update(`${scenario.name}: starting`);
    try {
      const result = options.inProcess
        ? await scenario.run({ quick: options.quick, progress: (message) => progress.update(message), random })
        : await runInChild(scenario, options, options.seed * 1_000 + index, progress, warnings);
      results.push(result);
      progress.clear();
      console.log(scenarioTable(result));
    } catch (error) {
      failed = true;
      progress.clear();
      console.error(`== ${scenario.name}: FAILED\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
  }
  const seconds = (now() - started) / 1_000;
  const targets = checkTargets(results);
  const checked = targets.filter((target) => target.status !== 'not run');
  if (checked.length > 0) console.log(targetsTable(checked));

  const run: RunInfo = { quick: options.quick, only: options.only, isolated: !options.inProcess, seconds };
  const name = options.quick ? 'quick' : options.only !== null ? 'partial' : 'latest';
  const directory = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(directory, { recursive: true });
  const document = resultsDocument(machine, run, results, targets);
  const svg = chartSvg(results, machineLine(machine));
  await writeFile(`${directory}${name}.json`, `${JSON.stringify(document, null, 2)}\n`);
  if (svg !== undefined) await writeFile(`${directory}${name}.svg`, svg);
  await writeFile(`${directory}${name}.md`, markdownReport(machine, run, results, targets, svg === undefined ? undefined : `${name}.svg`));
  console.log(`Wrote bench/results/${name}.json, ${name}.md${svg === undefined ? '' : `, ${name}.svg`} (${seconds.toFixed(1)} s).`);
  warnings.print();
  if (failed) process.exitCode = 1;
}

await main();
