/**
 * The CLI commands against one kind of store, shared by the SQLite and PostgreSQL test files: the
 * records are written with the store classes the registry uses, the commands run in-process, and
 * the database is read back directly to check what was (and was not) written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StateStore, StopRecord } from '../../src/index.js';
import { makeStopRecord } from '../../src/testing/index.js';
import { cli } from './run.js';

/** One store to run the commands on, made fresh for each test. */
export interface CliStoreFixture {
  /** The store arguments, e.g. `['--sqlite', file]`. */
  readonly args: readonly string[];
  /** The same table through the store class, to seed and read back. */
  readonly store: StateStore;
  /** Writes a row whose JSON body is damaged, as a hand edit would. */
  insertDamagedRow(key: string): Promise<void>;
  /** Sets the recorded schema version (a newer release wrote the table). */
  setSchemaVersion(version: number): Promise<void>;
  /** True when the records table exists. */
  tableExists(): Promise<boolean>;
  /** A second, empty place (other table) and its arguments, for export/import round trips. */
  other(): Promise<{ readonly args: readonly string[]; readonly store: StateStore }>;
  /** Drops everything the test made. */
  cleanup(): Promise<void>;
}

const order = (key: string, id: string) => ({ id, clientOrderId: `tsr-${key}-0123456789-1`, symbol: key, side: 'sell' as const, quantity: 1, stopPrice: 95 });

/** Four sound records in the states prune must tell apart. */
export function sampleRecords(): StopRecord[] {
  return [
    makeStopRecord({ key: 'BTCUSDT', symbol: 'BTCUSDT', state: 'active', clientOrderId: 'tsr-BTCUSDT-0123456789-1', order: order('BTCUSDT', '101') }),
    makeStopRecord({ key: 'ETHUSDT', symbol: 'ETHUSDT', state: 'triggered', clientOrderId: 'tsr-ETHUSDT-0123456789-1', order: order('ETHUSDT', '102') }),
    makeStopRecord({ key: 'SOLUSDT', symbol: 'SOLUSDT', state: 'failed', clientOrderId: 'tsr-SOLUSDT-0123456789-1', order: null }),
    // Failed to move, but its previous order still protects the position: not prunable.
    makeStopRecord({ key: 'XRPUSDT', symbol: 'XRPUSDT', state: 'failed', clientOrderId: 'tsr-XRPUSDT-0123456789-1', order: order('XRPUSDT', '104') }),
  ];
}

const byKey = (records: StopRecord[]) => [...records].sort((a, b) => a.key.localeCompare(b.key));

/** Registers the shared command tests for a store made by `create`. */
export function describeCliCommands(name: string, create: () => Promise<CliStoreFixture>): void {
  describe(`the CLI on ${name}`, () => {
    let fixture: CliStoreFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    async function seed(): Promise<StopRecord[]> {
      const records = sampleRecords();
      for (const record of records) await fixture.store.insert(record);
      return records;
    }

    it('list prints a table sorted by key, with a summary line', async () => {
      await seed();
      const run = await cli(['list', ...fixture.args]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]!.split(/\s+/)).toEqual(['KEY', 'STATE', 'SIDE', 'SYMBOL', 'QUANTITY', 'STOP', 'VENUE_STOP', 'ORDER', 'OWNER', 'VERSION', 'UPDATED']);
      expect(lines.slice(1, 5).map((line) => line.split(/\s+/).slice(0, 2))).toEqual([
        ['BTCUSDT', 'active'],
        ['ETHUSDT', 'triggered'],
        ['SOLUSDT', 'failed'],
        ['XRPUSDT', 'failed'],
      ]);
      expect(lines[1]!.split(/\s+/)).toEqual(['BTCUSDT', 'active', 'long', 'BTCUSDT', '0.5', '99.5', '95', '101', 'registry-a', '1', '2023-11-14T22:13:20Z']);
      expect(lines[5]).toBe('4 records: 1 active, 1 triggered, 2 failed');
    });

    it('list flags an unreadable record instead of hiding it', async () => {
      await seed();
      await fixture.insertDamagedRow('DOGEUSDT');
      const run = await cli(['list', ...fixture.args]);
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')[0]).toMatch(/UPDATED\s+PROBLEM$/);
      expect(run.stdout).toMatch(/^DOGEUSDT\s+active\s.*`symbol` is not a non-empty string$/m);
      expect(run.stdout).toContain('5 records: 2 active, 1 triggered, 2 failed; 1 unreadable');
    });

    it('list --json prints the records as a JSON array, unreadable ones with a problem', async () => {
      const records = await seed();
      await fixture.insertDamagedRow('DOGEUSDT');
      const run = await cli(['list', '--json', ...fixture.args]);
      expect(run.code).toBe(0);
      const printed = JSON.parse(run.stdout) as (StopRecord & { problem?: string })[];
      expect(printed.map((record) => record.key)).toEqual(['BTCUSDT', 'DOGEUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT']);
      expect(printed.filter((record) => record.key !== 'DOGEUSDT')).toEqual(byKey(records));
      expect(printed[1]).toMatchObject({ key: 'DOGEUSDT', problem: '`symbol` is not a non-empty string' });
    });

    it('list says so when the store is empty', async () => {
      await fixture.store.list(); // creates the table, as a registry would
      const run = await cli(['list', ...fixture.args]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^No records in .*table .*trailing_stops\.\n$/);
    });

    it('show prints one record as JSON; a missing key exits 1', async () => {
      const records = await seed();
      const run = await cli(['show', 'SOLUSDT', ...fixture.args]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toEqual(records[2]);
      const missing = await cli(['show', 'ADAUSDT', ...fixture.args]);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toMatch(/^trailing-stop-registry: No record for key `ADAUSDT` in .*\n$/);
    });

    it('show warns on standard error when the registry cannot read the record', async () => {
      await fixture.insertDamagedRow('DOGEUSDT');
      const run = await cli(['show', 'DOGEUSDT', ...fixture.args]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ key: 'DOGEUSDT', state: 'active' });
      expect(run.stderr).toBe('warning: the registry cannot read this record (restore skips it): `symbol` is not a non-empty string\n');
    });

    it('prune --dry-run prints what it would delete and deletes nothing', async () => {
      const records = await seed();
      const run = await cli(['prune', '--dry-run', ...fixture.args]);
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n').slice(0, 2)).toEqual(['would delete ETHUSDT (triggered, version 1)', 'would delete SOLUSDT (failed, version 1)']);
      expect(run.stdout).toMatch(/Would prune 2 of 4 records in .* \(dry run: nothing deleted\)\.\n$/);
      expect(byKey(await fixture.store.list())).toEqual(byKey(records));
    });

    it('prune deletes triggered records and failed ones without an order, and keeps the rest', async () => {
      const records = await seed();
      await fixture.insertDamagedRow('DOGEUSDT');
      const run = await cli(['prune', ...fixture.args]);
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n').slice(0, 2)).toEqual(['deleted ETHUSDT (triggered, version 1)', 'deleted SOLUSDT (failed, version 1)']);
      expect(run.stdout).toMatch(/Pruned 2 of 5 records in .*\.\n$/);
      const left = byKey(await fixture.store.list());
      expect(left.map((record) => record.key)).toEqual(['BTCUSDT', 'DOGEUSDT', 'XRPUSDT']);
      expect(left.filter((record) => record.key !== 'DOGEUSDT')).toEqual([records[0], records[3]]);
      // Nothing left to prune: a second run deletes nothing.
      expect((await cli(['prune', ...fixture.args])).stdout).toMatch(/^Pruned 0 of 3 records/);
    });

    it('export writes JSON lines that import restores, record for record, into an empty store', async () => {
      const records = await seed();
      const exported = await cli(['export', ...fixture.args]);
      expect(exported.code).toBe(0);
      expect(exported.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as StopRecord)).toEqual(byKey(records));
      expect(exported.stderr).toMatch(/^Exported 4 records from /);
      const target = await fixture.other();
      const imported = await cli(['import', ...target.args], { stdin: exported.stdout });
      expect(imported).toMatchObject({ code: 0, stderr: '' });
      expect(imported.stdout).toMatch(/^Imported 4 records into /);
      expect(byKey(await target.store.list())).toEqual(byKey(records));
    });

    it('import refuses a store that holds records, and changes nothing', async () => {
      const records = await seed();
      const line = JSON.stringify(makeStopRecord({ key: 'ADAUSDT' }));
      const run = await cli(['import', ...fixture.args], { stdin: `${line}\n` });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^trailing-stop-registry: Refusing to import: .* already holds 4 records; import restores into an empty store only\n$/);
      expect(byKey(await fixture.store.list())).toEqual(byKey(records));
    });

    it('import checks every line first: one bad record and nothing is written, not even the table', async () => {
      const good = JSON.stringify(makeStopRecord({ key: 'ADAUSDT' }));
      const bad = JSON.stringify({ ...makeStopRecord({ key: 'BNBUSDT' }), quantity: -1 });
      const run = await cli(['import', ...fixture.args], { stdin: `${good}\n${bad}\n` });
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toBe('trailing-stop-registry: Line 2 (key `BNBUSDT`) is not a valid record: `quantity` is not a positive number; nothing was imported\n');
      expect(await fixture.tableExists()).toBe(false);
      expect((await cli(['import', ...fixture.args], { stdin: `${good}\nnot json\n` })).stderr).toContain('Line 2 of the input is not JSON');
      expect((await cli(['import', ...fixture.args], { stdin: `${good}\n\n${good}\n` })).stderr).toContain('Line 3 repeats key `ADAUSDT` of line 1');
      expect(await fixture.tableExists()).toBe(false);
    });

    it('read-only commands and prune refuse a missing table and do not create it', async () => {
      for (const command of [['list'], ['show', 'BTCUSDT'], ['export'], ['prune']]) {
        const run = await cli([...command, ...fixture.args]);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(/^trailing-stop-registry: .* does not exist \(check .*--table\); nothing to (read|prune)\n$/);
      }
      expect(await fixture.tableExists()).toBe(false);
    });

    it('a table of a newer store schema version ends every command with one line and exit code 2', async () => {
      await seed();
      await fixture.setSchemaVersion(99);
      const line = JSON.stringify(makeStopRecord({ key: 'ADAUSDT' }));
      for (const command of [['list'], ['show', 'BTCUSDT'], ['export'], ['prune'], ['import']]) {
        const run = await cli([...command, ...fixture.args], { stdin: line });
        expect(run.code, command[0]).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(/^trailing-stop-registry: .* has store schema version 99, newer than version 1 that this release of trailing-stop-registry reads; .*\n$/);
      }
      await fixture.setSchemaVersion(1);
      expect(await fixture.store.list()).toHaveLength(4);
    });
  });
}
