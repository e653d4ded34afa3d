import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteStateStore, type SqliteDatabase } from '../../src/stores/sqlite.js';
import type { Clock } from '../../src/ports/clock.js';
import type { StoreChange } from '../../src/ports/state-store.js';
import type { StoreError } from '../../src/errors.js';
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

/** Timers that fire only when a test says so: the watch poll runs when `runDue()` runs it. */
class ManualTimers implements Clock {
  readonly #due = new Map<number, () => void>();
  #nextId = 1;
  /** The delay of every timer armed, in order. */
  readonly delays: number[] = [];
  /** How many handles were unref'd. */
  unrefCount = 0;

  now(): number {
    return 1_700_000_000_000;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.#nextId++;
    this.#due.set(id, callback);
    this.delays.push(delayMs);
    return { id, unref: () => (this.unrefCount += 1) };
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete((handle as { id: number }).id);
  }

  /** Timers armed and not yet run or cleared. */
  get pending(): number {
    return this.#due.size;
  }

  /** Runs every timer armed so far (not those they arm in turn). */
  runDue(): void {
    const due = [...this.#due.values()];
    this.#due.clear();
    for (const callback of due) callback();
  }
}

/** Lets queued microtasks (the watch's deliveries) run. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describeStateStore('SqliteStateStore', async () => {
  const database = await temporaryDatabase();
  const timers = new ManualTimers();
  return {
    store: new SqliteStateStore({ database: database.open(), clock: timers }),
    reopen: async () => new SqliteStateStore({ database: database.open(), clock: timers }),
    openSecondConnection: async () => new SqliteStateStore({ database: database.open(), clock: timers }),
    deliverChanges: () => timers.runDue(),
    cleanup: database.cleanup,
  };
}, { durable: true, shared: false, watch: true });

describe('SqliteStateStore', () => {
  let database: Awaited<ReturnType<typeof temporaryDatabase>>;
  beforeEach(async () => {
    database = await temporaryDatabase();
  });
  afterEach(async () => {
    await database.cleanup();
  });

  it('declares itself durable and not shared', () => {
    expect(new SqliteStateStore({ database: database.open() }).capabilities).toEqual({ durable: true, shared: false, watch: true });
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

describe('SqliteStateStore.watch', () => {
  let database: Awaited<ReturnType<typeof temporaryDatabase>>;
  let timers: ManualTimers;
  let controller: AbortController;
  beforeEach(async () => {
    database = await temporaryDatabase();
    timers = new ManualTimers();
    controller = new AbortController();
  });
  afterEach(async () => {
    controller.abort();
    await database.cleanup();
  });

  /** A store on a new connection to the test file, polling through `timers`. */
  function openStore(options: { watchIntervalMs?: number } = {}): SqliteStateStore {
    return new SqliteStateStore({ database: database.open(), clock: timers, ...options });
  }

  /** Watches `store`, recording what it hears. */
  async function watch(store: SqliteStateStore): Promise<{ changes: StoreChange[]; errors: StoreError[] }> {
    const heard = { changes: [] as StoreChange[], errors: [] as StoreError[] };
    await store.watch((change) => heard.changes.push(change), {
      signal: controller.signal,
      onError: (error) => heard.errors.push(error),
    });
    return heard;
  }

  it('polls every watchIntervalMs through the given clock, and unrefs its timer', async () => {
    const store = openStore({ watchIntervalMs: 40 });
    await watch(store);
    timers.runDue();
    timers.runDue();
    expect(timers.delays).toEqual([40, 40, 40]);
    expect(timers.unrefCount).toBe(3);
    expect(timers.pending).toBe(1);
  });

  it('hears a change by another connection only when the poll runs, with the version it has then', async () => {
    const watching = openStore();
    const writing = openStore();
    const heard = await watch(watching);
    const record = makeStopRecord({ key: 'K', positionId: 'position-9', owner: 'registry-b' });
    await writing.insert(record);
    await writing.compareAndSet({ ...record, version: 2, state: 'failed' }, 1);
    await settle();
    expect(heard.changes).toEqual([]);
    timers.runDue();
    await settle();
    // Both writes fell between two polls: the poll reports what it found, version 2.
    expect(heard.changes).toEqual([{ key: 'K', version: 2, state: 'failed', positionId: 'position-9', owner: 'registry-b' }]);
    await writing.delete('K');
    timers.runDue();
    await settle();
    expect(heard.changes.at(-1)).toEqual({ key: 'K', version: null, state: null });
    expect(heard.errors).toEqual([]);
  });

  it('while no other connection committed, a poll reads only PRAGMA data_version, never the table', async () => {
    const connection = database.open();
    const tableReads: string[] = [];
    const counting: SqliteDatabase = {
      prepare: (sql) => {
        const statement = connection.prepare(sql);
        if (!/^SELECT .* FROM "trailing_stops"$/.test(sql)) return statement;
        return {
          run: (...parameters) => statement.run(...parameters),
          get: (...parameters) => statement.get(...parameters),
          all: (...parameters) => {
            tableReads.push(sql);
            return statement.all(...parameters);
          },
        };
      },
      exec: (sql) => connection.exec(sql),
      pragma: (source) => connection.pragma(source),
      get inTransaction() {
        return connection.inTransaction;
      },
    };
    const watching = new SqliteStateStore({ database: counting, clock: timers });
    await watch(watching);
    expect(tableReads).toHaveLength(1); // the baseline
    for (let poll = 0; poll < 5; poll++) timers.runDue();
    expect(tableReads).toHaveLength(1);
    await openStore().insert(makeStopRecord({ key: 'K' }));
    timers.runDue();
    timers.runDue();
    expect(tableReads).toHaveLength(2);
  });

  it('reports a delete and re-insert at the same version between two polls as one change', async () => {
    const watching = openStore();
    const writing = openStore();
    await writing.insert(makeStopRecord({ key: 'K', owner: 'registry-a', positionId: 'position-1' }));
    const heard = await watch(watching);
    await writing.delete('K');
    await writing.insert(makeStopRecord({ key: 'K', owner: 'registry-b', positionId: 'position-2' }));
    timers.runDue();
    await settle();
    expect(heard.changes).toEqual([{ key: 'K', version: 1, state: 'active', positionId: 'position-2', owner: 'registry-b' }]);
  });

  it('reports at once, without a poll, what another store on the same connection writes', async () => {
    const connection = database.open();
    const watching = new SqliteStateStore({ database: connection, clock: timers });
    const writing = new SqliteStateStore({ database: connection, clock: timers });
    const otherTable = new SqliteStateStore({ database: connection, clock: timers, table: 'other' });
    const heard = await watch(watching);
    await writing.insert(makeStopRecord({ key: 'K' }));
    await otherTable.insert(makeStopRecord({ key: 'elsewhere' }));
    await writing.delete('K');
    await settle();
    expect(heard.changes).toEqual([
      { key: 'K', version: 1, state: 'active', positionId: 'position-1', owner: 'registry-a' },
      { key: 'K', version: null, state: null },
    ]);
  });

  it('reports a write inside a transaction the user opened after the commit, and a rolled-back one never', async () => {
    const connection = database.open();
    const store = new SqliteStateStore({ database: connection, clock: timers });
    const heard = await watch(store);
    connection.exec('BEGIN IMMEDIATE');
    await store.insert(makeStopRecord({ key: 'kept' }));
    timers.runDue(); // a poll inside the transaction would read the uncommitted row: it waits
    await settle();
    expect(heard.changes).toEqual([]);
    connection.exec('COMMIT');
    timers.runDue();
    await settle();
    expect(heard.changes.map((change) => change.key)).toEqual(['kept']);

    connection.exec('BEGIN IMMEDIATE');
    await store.insert(makeStopRecord({ key: 'rolled-back' }));
    connection.exec('ROLLBACK');
    timers.runDue();
    await settle();
    expect(heard.changes.map((change) => change.key)).toEqual(['kept']);
  });

  it('a record this store loaded between two polls is reported deleted when another connection deletes it', async () => {
    const watching = openStore();
    const writing = openStore();
    const heard = await watch(watching);
    await writing.insert(makeStopRecord({ key: 'K' }));
    await expect(watching.load('K')).resolves.toMatchObject({ version: 1 });
    await writing.delete('K');
    timers.runDue();
    await settle();
    expect(heard.changes).toEqual([
      { key: 'K', version: 1, state: 'active', positionId: 'position-1', owner: 'registry-a' },
      { key: 'K', version: null, state: null },
    ]);
  });

  it('stops polling when the last watch ends, and on close()', async () => {
    const store = openStore();
    const first = new AbortController();
    const second = new AbortController();
    await store.watch(() => undefined, { signal: first.signal });
    await store.watch(() => undefined, { signal: second.signal });
    first.abort();
    expect(timers.pending).toBe(1);
    second.abort();
    expect(timers.pending).toBe(0);
    await watch(store);
    expect(timers.pending).toBe(1);
    await store.close();
    expect(timers.pending).toBe(0);
  });

  it('a failed poll ends every watch with onError, once, and stops polling', async () => {
    const connection = database.open();
    const store = new SqliteStateStore({ database: connection, clock: timers });
    const heard = await watch(store);
    connection.close();
    timers.runDue();
    expect(heard.errors).toHaveLength(1);
    expect(heard.errors[0]).toMatchObject({ code: 'ERR_STORE_FAILED', message: expect.stringContaining('SqliteStateStore.watch') });
    expect(timers.pending).toBe(0);
  });

  it('polls on the global timers by default, every 250 ms', async () => {
    vi.useFakeTimers();
    try {
      const watching = new SqliteStateStore({ database: database.open() });
      expect(watching.watchIntervalMs).toBe(250);
      const heard = await watch(watching);
      await openStore().insert(makeStopRecord({ key: 'K' }));
      await vi.advanceTimersByTimeAsync(249);
      expect(heard.changes).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(heard.changes.map((change) => change.key)).toEqual(['K']);
    } finally {
      controller.abort();
      vi.useRealTimers();
    }
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '100'])('rejects the watchIntervalMs %s with a TypeError naming it', (value) => {
    expect(() => new SqliteStateStore({ database: database.open(), watchIntervalMs: value as number })).toThrow(
      /Expected `watchIntervalMs` to be a positive finite number/,
    );
  });

  it('rejects a clock without timers', () => {
    expect(() => new SqliteStateStore({ database: database.open(), clock: {} as Clock })).toThrow(/Expected `clock` to have setTimeout/);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
