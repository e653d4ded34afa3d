import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/stores/sqlite.js';
import { describeStateStore, makeStopRecord } from '../../src/testing/index.js';

/** A temporary directory holding one database file, and every connection opened to it. */
async function temporaryDatabase(): Promise<{ open: () => Database.Database; cleanup: () => Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'sqlite-state-store-'));
  const connections: Database.Database[] = [];
  return {
    open: () => {
      const connection = new Database(join(directory, 'stops.db'));
      connections.push(connection);
      return connection;
    },
    cleanup: async () => {
      for (const connection of connections) connection.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

describeStateStore('SqliteStateStore', async () => {
  const database = await temporaryDatabase();
  return {
    store: new SqliteStateStore({ database: database.open() }),
    reopen: async () => new SqliteStateStore({ database: database.open() }),
    cleanup: database.cleanup,
  };
}, { durable: true, shared: false });

describe('SqliteStateStore', () => {
  let database: Awaited<ReturnType<typeof temporaryDatabase>>;
  beforeEach(async () => {
    database = await temporaryDatabase();
  });
  afterEach(async () => {
    await database.cleanup();
  });

  it('declares itself durable and not shared', () => {
    expect(new SqliteStateStore({ database: database.open() }).capabilities).toEqual({ durable: true, shared: false });
  });

  it('switches the database to WAL mode on first use', async () => {
    const connection = database.open();
    await new SqliteStateStore({ database: connection }).list();
    expect(connection.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('creates its tables and records schema version 1', async () => {
    const connection = database.open();
    const store = new SqliteStateStore({ database: connection, table: 'stops' });
    await store.migrate();
    expect(SqliteStateStore.schemaVersion).toBe(1);
    expect(connection.prepare('SELECT singleton, version FROM stops_schema').all()).toEqual([{ singleton: 1, version: 1 }]);
    expect(connection.prepare('SELECT count(*) AS count FROM stops').get()).toEqual({ count: 0 });
  });

  it('a second start is a no-op that keeps the records', async () => {
    const record = makeStopRecord({ key: 'K' });
    await new SqliteStateStore({ database: database.open() }).insert(record);
    const connection = database.open();
    const second = new SqliteStateStore({ database: connection });
    await second.migrate();
    await second.migrate();
    await expect(second.load('K')).resolves.toEqual(record);
    expect(connection.prepare('SELECT version FROM trailing_stops_schema').all()).toEqual([{ version: 1 }]);
  });

  it('refuses a database written with a newer schema version, naming both versions', async () => {
    const connection = database.open();
    await new SqliteStateStore({ database: connection }).migrate();
    connection.prepare('UPDATE trailing_stops_schema SET version = 2').run();
    const store = new SqliteStateStore({ database: database.open() });
    await expect(store.migrate()).rejects.toMatchObject({
      code: 'ERR_STORE_FAILED',
      message: expect.stringMatching(/schema version 2.*schema version 1/),
    });
    await expect(store.load('K')).rejects.toMatchObject({ code: 'ERR_STORE_FAILED' });
  });

  it('keeps tables with different names apart in one database', async () => {
    const connection = database.open();
    const first = new SqliteStateStore({ database: connection, table: 'first' });
    const second = new SqliteStateStore({ database: connection, table: 'second' });
    await first.insert(makeStopRecord({ key: 'K', owner: 'first' }));
    await expect(second.load('K')).resolves.toBeUndefined();
  });

  it.each(['', '1stops', 'stops; DROP TABLE x', 'stops-1', '"stops"', 'a'.repeat(57), 42, null])(
    'rejects the table name %j with a TypeError naming it',
    (table) => {
      expect(() => new SqliteStateStore({ database: database.open(), table: table as string })).toThrow(
        new RegExp(`Expected \`table\` to be an SQL identifier.*got \`${escapeRegExp(String(table))}\``),
      );
    },
  );

  it('accepts a table name of 56 characters', () => {
    expect(() => new SqliteStateStore({ database: database.open(), table: 'a'.repeat(56) })).not.toThrow();
  });

  it('rejects something that is not a database', () => {
    expect(() => new SqliteStateStore({ database: {} as never })).toThrow(TypeError);
  });

  it('close() leaves the database open', async () => {
    const connection = database.open();
    const store = new SqliteStateStore({ database: connection });
    await store.list();
    await store.close();
    expect(connection.open).toBe(true);
  });

  it('returns a row with damaged JSON with its columns only, without failing list()', async () => {
    const connection = database.open();
    const store = new SqliteStateStore({ database: connection });
    const good = makeStopRecord({ key: 'good' });
    await store.insert(good);
    await store.insert(makeStopRecord({ key: 'bad', state: 'pending', leaseExpiresAt: 5_000, version: 3 }));
    connection.prepare("UPDATE trailing_stops SET data = '{not json' WHERE key = 'bad'").run();
    const damaged = { key: 'bad', version: 3, owner: 'registry-a', state: 'pending', leaseExpiresAt: 5_000 };
    const listed = await store.list();
    expect(listed).toHaveLength(2);
    expect(listed).toContainEqual(good);
    expect(listed).toContainEqual(damaged);
    await expect(store.load('bad')).resolves.toEqual(damaged);
  });

  it('refuses to store a non-finite number, which JSON would turn into null', async () => {
    const store = new SqliteStateStore({ database: database.open() });
    await expect(store.insert(makeStopRecord({ key: 'K', entryPrice: Number.NaN }))).rejects.toMatchObject({
      code: 'ERR_STORE_FAILED',
      message: expect.stringContaining('entryPrice'),
    });
    await expect(store.load('K')).resolves.toBeUndefined();
  });

  it('reads integers that the driver returns as bigints', async () => {
    const connection = database.open();
    connection.defaultSafeIntegers(true);
    const store = new SqliteStateStore({ database: connection });
    const record = makeStopRecord({ key: 'K', version: 7 });
    await store.insert(record);
    await expect(store.load('K')).resolves.toEqual(record);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
