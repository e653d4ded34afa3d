/** The CLI on a real SQLite file (better-sqlite3, resolved from the project as an operator's would be). */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/stores/sqlite.js';
import { cli, projectDirectory } from './run.js';
import { describeCliCommands, sampleRecords } from './store-commands.js';

describeCliCommands('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tsr-cli-sqlite-'));
  const file = join(directory, 'stops.db');
  const database = new Database(file);
  const store = new SqliteStateStore({ database });
  return {
    args: ['--sqlite', file],
    store,
    async insertDamagedRow(key) {
      await store.migrate();
      database
        .prepare("INSERT INTO trailing_stops (key, version, owner, state, lease_expires_at, data) VALUES (?, 1, 'registry-x', 'active', NULL, '{\"symbol\": \"BTC')")
        .run(key);
    },
    async setSchemaVersion(version) {
      database.prepare('UPDATE trailing_stops_schema SET version = ?').run(version);
    },
    async tableExists() {
      return database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trailing_stops'").get() !== undefined;
    },
    async other() {
      return { args: ['--sqlite', file, '--table', 'restored'], store: new SqliteStateStore({ database, table: 'restored' }) };
    },
    async cleanup() {
      database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describe('the CLI on SQLite files', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'tsr-cli-sqlite-'));
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses a missing file without creating it', async () => {
    const file = join(directory, 'missing.db');
    for (const command of ['list', 'export', 'prune']) {
      const run = await cli([command, '--sqlite', file]);
      expect(run).toEqual({ code: 2, stdout: '', stderr: `trailing-stop-registry: No SQLite file at ${file} (check --sqlite)\n` });
    }
    expect(existsSync(file)).toBe(false);
  });

  it('resolves a relative file name against the working directory', async () => {
    const database = new Database(join(directory, 'stops.db'));
    const store = new SqliteStateStore({ database });
    for (const record of sampleRecords()) await store.insert(record);
    database.close();
    const run = await cli(['export', '--sqlite', relative(projectDirectory, join(directory, 'stops.db'))]);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(4);
  });

  it('reports a file that is not an SQLite database in one line', async () => {
    const file = join(directory, 'notes.txt');
    writeFileSync(file, 'these are not the records you are looking for\n'.repeat(200));
    const run = await cli(['list', '--sqlite', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^trailing-stop-registry: Cannot read SQLite file .*notes\.txt, table trailing_stops: file is not a database\n$/);
  });

  it('import creates the file and its table when they are missing', async () => {
    const file = join(directory, 'fresh.db');
    const lines = sampleRecords().map((record) => JSON.stringify(record)).join('\n');
    const run = await cli(['import', '--sqlite', file], { stdin: lines });
    expect(run.code).toBe(0);
    const database = new Database(file);
    expect(await new SqliteStateStore({ database }).list()).toHaveLength(4);
    database.close();
  });

  it('import reads a file named on the command line, relative to the working directory', async () => {
    writeFileSync(join(directory, 'backup.jsonl'), `${sampleRecords().map((record) => JSON.stringify(record)).join('\n')}\n`);
    const file = join(directory, 'restored.db');
    const run = await cli(['import', join(directory, 'backup.jsonl'), '--sqlite', file]);
    expect(run).toMatchObject({ code: 0, stdout: `Imported 4 records into SQLite file ${file}, table trailing_stops.\n` });
    const missing = await cli(['import', join(directory, 'nope.jsonl'), '--sqlite', file]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^trailing-stop-registry: Cannot read .*nope\.jsonl: ENOENT/);
  });

  it('an import that meets a conflicting insert midway writes nothing (one transaction)', async () => {
    const file = join(directory, 'stops.db');
    const records = sampleRecords();
    // The same key twice in the input is refused before opening; a conflict inside the store is
    // the other way an insert can lose: a record that appears between the emptiness check and the insert.
    const database = new Database(file);
    const store = new SqliteStateStore({ database });
    await store.migrate();
    database.exec(`CREATE TRIGGER sneak AFTER INSERT ON trailing_stops WHEN NEW.key = 'ETHUSDT'
      BEGIN INSERT OR IGNORE INTO trailing_stops (key, version, owner, state, lease_expires_at, data)
      SELECT 'SOLUSDT', 1, 'intruder', 'active', NULL, '{}'; END`);
    const run = await cli(['import', '--sqlite', file], { stdin: records.map((record) => JSON.stringify(record)).join('\n') });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('trailing-stop-registry: Key `SOLUSDT` was written by someone else during the import; nothing was imported\n');
    expect(await store.list()).toEqual([]);
    database.close();
  });
});
