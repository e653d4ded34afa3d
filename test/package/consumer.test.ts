/**
 * The published package, as a user gets it: `npm pack` from a clean copy of the repository (no
 * prior build: `prepack` builds), install the tarball into a fresh project, then `import` (ESM),
 * `require` (CJS, with p-limit bundled), a TypeScript file using the types, and the CLI.
 */
import Database from 'better-sqlite3';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/stores/sqlite.js';
import { makeStopRecord } from '../../src/testing/index.js';
import { packCleanCopy, type CleanPack } from './clean-pack.js';

const root = resolve(import.meta.dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project: string;
let pack: CleanPack;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_yes: 'true' } });
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'tsr-consumer-'));
  pack = packCleanCopy(root, project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${basename(pack.tarball)}`, '@types/node@20'], project);
}, 240_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
  if (pack !== undefined) rmSync(pack.checkout, { recursive: true, force: true });
});

const program = `
  const exchange = new PaperExchange();
  const registry = new TrailingStopRegistry({ placer: exchange });
  const stop = await registry.create({ symbol: 'BTCUSDT', side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2 });
  console.log(stop.state, stop.stopPrice, exchange.liveOrders().length);
  await registry.close();
`;

describe('the packed package', () => {
  it('ships only dist, package.json, README, CHANGELOG and license files', () => {
    const paths = [...pack.entries.keys()];
    expect(paths.every((path) => path.startsWith('dist/') || /^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/.test(path))).toBe(true);
    expect(paths).toContain('dist/index.cjs');
    expect(paths).toContain('dist/index.d.cts');
  });

  it('packed from a clean checkout, contains the build (prepack), the CLI, CHANGELOG and LICENSE', () => {
    for (const path of [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/metrics/index.js',
      'dist/metrics/index.cjs',
      'dist/metrics/index.d.ts',
      'dist/cli/index.js',
    ]) {
      expect(pack.entries.has(path), path).toBe(true);
    }
    // Every export target in package.json is in the tarball.
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; bin: Record<string, string> };
    const targets = JSON.stringify(manifest.exports).match(/\.\/dist\/[^"]+/g)!;
    for (const target of targets) expect(pack.entries.has(target.slice(2)), target).toBe(true);
    expect(pack.entries.get(manifest.bin['trailing-stop-registry']!.slice(2))! & 0o111).not.toBe(0);
    expect(readFileSync(join(pack.checkout, 'dist', 'cli', 'index.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('works with import (ESM)', () => {
    writeFileSync(join(project, 'esm.mjs'), `import { TrailingStopRegistry, PaperExchange } from 'trailing-stop-registry';\n${program}`);
    expect(run(process.execPath, ['esm.mjs'], project).trim()).toBe('waiting 98 1');
  });

  it("runs README's quick start as written, against the installed package", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const snippet = /## Quick start\n\n```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    writeFileSync(join(project, 'quick-start.mjs'), snippet);
    const output = run(process.execPath, ['quick-start.mjs'], project);
    expect(output).toContain('created: waiting, stop 58800');
    expect(output).toContain('final: triggered');
  });

  it('works with require (CJS), p-limit bundled', () => {
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const { TrailingStopRegistry, PaperExchange } = require('trailing-stop-registry');\n(async () => {${program}})();`,
    );
    expect(run(process.execPath, ['cjs.cjs'], project).trim()).toBe('waiting 98 1');
  });

  it('resolves every subpath export under require and import', () => {
    const subpaths = ['trailing-stop-registry/sqlite', 'trailing-stop-registry/postgres', 'trailing-stop-registry/ccxt'];
    writeFileSync(join(project, 'subpaths.cjs'), subpaths.map((path) => `require('${path}');`).join('\n'));
    run(process.execPath, ['subpaths.cjs'], project);
    writeFileSync(join(project, 'subpaths.mjs'), subpaths.map((path) => `await import('${path}');`).join('\n'));
    run(process.execPath, ['subpaths.mjs'], project);
  });

  it('type-checks a TypeScript consumer (NodeNext)', () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { TrailingStopRegistry, PaperExchange, ValidationError, type CreateStopSpec, type OrderPlacer, type StateStore, type TrailingStopSnapshot } from 'trailing-stop-registry';
import { SqliteStateStore } from 'trailing-stop-registry/sqlite';
import { PostgresStateStore } from 'trailing-stop-registry/postgres';
import { CcxtOrderPlacer } from 'trailing-stop-registry/ccxt';
import type { describeStateStore, describeOrderPlacer } from 'trailing-stop-registry/testing';
const placer: OrderPlacer = new PaperExchange();
const registry = new TrailingStopRegistry({ placer, callbackPercent: 1 });
const spec: CreateStopSpec = { symbol: 'X', side: 'short', entryPrice: 1, quantity: 1 };
registry.on('triggered', (event) => { const reason: 'stop' | 'gap' = event.reason; void reason; });
registry.on('created', ({ stop }: { stop: TrailingStopSnapshot }) => void stop.key);
void registry.create(spec).catch((error: unknown) => error instanceof ValidationError && error.field);
export type Stores = [StateStore, typeof SqliteStateStore, typeof PostgresStateStore, typeof CcxtOrderPlacer, typeof describeStateStore, typeof describeOrderPlacer];
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['consumer.ts'] }),
    );
    run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project);
  });

  it('recognises errors across the ESM and CommonJS builds loaded in one process, both ways', () => {
    writeFileSync(
      join(project, 'dual.mjs'),
      `import { createRequire } from 'node:module';
import * as esm from 'trailing-stop-registry';
const cjs = createRequire(import.meta.url)('trailing-stop-registry');
const fromEsm = new esm.ValidationError('quantity', 'Expected quantity to be positive');
const fromCjs = new cjs.TimeoutError('placeStop', 100);
console.log(JSON.stringify({
  separateClasses: esm.ValidationError !== cjs.ValidationError,
  instanceofAcross: fromEsm instanceof cjs.TrailingStopError,
  cjsGuardOnEsmError: cjs.hasErrorCode(fromEsm, 'ERR_VALIDATION') && cjs.isTrailingStopError(fromEsm),
  esmGuardOnCjsError: esm.hasErrorCode(fromCjs, 'ERR_TIMEOUT') && esm.isTrailingStopError(fromCjs),
  wrongCode: cjs.hasErrorCode(fromEsm, 'ERR_TIMEOUT') || esm.hasErrorCode(fromCjs, 'ERR_VALIDATION'),
}));
`,
    );
    expect(JSON.parse(run(process.execPath, ['dual.mjs'], project))).toEqual({
      separateClasses: true,
      instanceofAcross: false,
      cjsGuardOnEsmError: true,
      esmGuardOnCjsError: true,
      wrongCode: false,
    });
  });

  it('resolves the metrics subpath under require and import, with no runtime dependency', () => {
    writeFileSync(join(project, 'metrics.cjs'), `console.log(typeof require('trailing-stop-registry/metrics').registerTrailingStopMetrics);`);
    expect(run(process.execPath, ['metrics.cjs'], project).trim()).toBe('function');
    writeFileSync(join(project, 'metrics.mjs'), `const m = await import('trailing-stop-registry/metrics'); console.log(typeof m.registerTrailingStopMetrics);`);
    expect(run(process.execPath, ['metrics.mjs'], project).trim()).toBe('function');
  });

  it('installs the trailing-stop-registry command, which names the driver to install when it is missing', () => {
    const bin = join(project, 'node_modules', '.bin', 'trailing-stop-registry');
    expect(run(bin, ['--version'], project).trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    const missing = spawnSync(bin, ['list', '--sqlite', 'stops.db'], { cwd: project, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^trailing-stop-registry: --sqlite needs the `better-sqlite3` package, .*run `npm install better-sqlite3`/);
  });

  it("runs the installed command on an SQLite file with the driver of the working directory's project", async () => {
    const file = join(project, 'stops.db');
    const database = new Database(file);
    await new SqliteStateStore({ database }).insert(makeStopRecord({ key: 'BTCUSDT', state: 'triggered' }));
    database.close();
    const bin = join(project, 'node_modules', '.bin', 'trailing-stop-registry');
    // The repository plays the operator's project: it has better-sqlite3 installed.
    const listed = spawnSync(bin, ['list', '--sqlite', file], { cwd: root, encoding: 'utf8' });
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^KEY\s+STATE/);
    expect(listed.stdout).toMatch(/^BTCUSDT\s+triggered\s/m);
    const pruned = spawnSync(bin, ['prune', '--sqlite', file], { cwd: root, encoding: 'utf8' });
    expect(pruned.stdout).toContain('deleted BTCUSDT (triggered, version 1)');
  });
});
