/** The CLI loads better-sqlite3 and pg from the operator's project (the working directory), never its own. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run.js';

describe('database drivers', () => {
  let project: string;
  beforeAll(() => {
    // A project without node_modules (the temporary directory has none above it either).
    project = mkdtempSync(join(tmpdir(), 'tsr-cli-project-'));
  });
  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('says which package to install when better-sqlite3 is missing from the project', async () => {
    const run = await cli(['list', '--sqlite', 'stops.db'], { cwd: project });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `trailing-stop-registry: --sqlite needs the \`better-sqlite3\` package, which is not installed in ${project} or above: ` +
        'run `npm install better-sqlite3` in your project and run this command from there\n',
    });
  });

  it('says which package to install when pg is missing from the project', async () => {
    const run = await cli(['list', '--postgres', 'postgres://bot:hunter2@127.0.0.1:5432/trading'], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `trailing-stop-registry: --postgres needs the \`pg\` package, which is not installed in ${project} or above: ` +
        'run `npm install pg` in your project and run this command from there\n',
    );
  });
});
