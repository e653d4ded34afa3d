/**
 * The published package, as a user gets it: `npm pack`, install the tarball into a fresh project,
 * then `import` (ESM), `require` (CJS, with p-limit bundled) and a TypeScript file using the types.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_yes: 'true' } });
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.js'))) run(npm, ['run', 'build'], root);
  project = mkdtempSync(join(tmpdir(), 'tsr-consumer-'));
  run(npm, ['pack', '--ignore-scripts', '--pack-destination', project], root);
  const tarball = readdirSync(project).find((name) => name.endsWith('.tgz'))!;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`, '@types/node@20'], project);
}, 180_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
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
    const listing = JSON.parse(run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], root)) as { files: { path: string }[] }[];
    const paths = listing[0]!.files.map((file) => file.path);
    expect(paths.every((path) => path.startsWith('dist/') || /^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/.test(path))).toBe(true);
    expect(paths).toContain('dist/index.cjs');
    expect(paths).toContain('dist/index.d.cts');
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
registry.on('created', (stop: TrailingStopSnapshot) => void stop.key);
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
});
