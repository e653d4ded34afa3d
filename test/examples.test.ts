/**
 * Every example runs as README says (`npx tsx examples/NAME.ts`), so none can rot. Examples that
 * need credentials or a database must refuse clearly (exit code 2) without them.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const examples = readdirSync(join(root, 'examples')).filter((name) => name.endsWith('.ts'));

/** Examples that need something from the environment, and what they need. */
const requirements: Record<string, string> = {
  'binance-futures.ts': 'BINANCE_API_KEY',
  'multi-instance-postgres.ts': 'DATABASE_URL',
};

describe('examples', () => {
  it('there are examples to run', () => {
    expect(examples).toEqual(expect.arrayContaining(['quick-start.ts', 'wave.ts', 'custom-placer.ts', 'demo.ts']));
  });

  it.each(examples)('examples/%s runs', (name) => {
    const needs = requirements[name];
    const environment = { ...process.env };
    // Never let a developer's real keys reach a test.
    delete environment.BINANCE_API_KEY;
    delete environment.BINANCE_API_SECRET;
    const result = spawnSync(process.execPath, ['--import', 'tsx', join('examples', name)], {
      cwd: root,
      encoding: 'utf8',
      env: environment,
      timeout: 120_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    if (needs !== undefined && environment[needs] === undefined) {
      expect(result.status, output).toBe(2);
      expect(output).toContain(needs);
      return;
    }
    expect(result.status, output).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(0);
  }, 130_000);
});
