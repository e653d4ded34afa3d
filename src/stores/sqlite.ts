/**
 * `SqliteStateStore`: a durable {@link StateStore} in one SQLite file, through a better-sqlite3
 * `Database` the user opens and passes in. For one process (or several registries in one process)
 * that must survive restarts; several processes on several machines share PostgreSQL instead.
 *
 * This module never imports better-sqlite3: {@link SqliteDatabase} describes the few methods the
 * store calls, so the package needs no dependency on it.
 *
 * @packageDocumentation
 */
import type {
  CompareAndSetResult,
  InsertResult,
  StateStore,
  StateStoreCapabilities,
  StopRecord,
  StoreChange,
  StoreWatchOptions,
} from '../ports/state-store.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { StoreError } from '../errors.js';
import { assertRecordShape } from './record-shape.js';
import { assertIdentifier, maximumTableNameLength } from './identifier.js';
import { decodeEncoded, decodeRow, encodeRecord, storeFailure, type EncodedRecord, type StoredRow } from './record-codec.js';
import { assertWatchArguments, ChangeFeed } from './change-feed.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { migrateSqliteSchema, sqliteSchemaVersion } from './sqlite-schema.js';
import { prepareSqliteStatements, readDataVersion, type SqliteStatements } from './sqlite-statements.js';
import { announceObservation, announceTable, SqliteChangePoller, type SqliteObservation } from './sqlite-watch.js';

export type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/** Options of {@link SqliteStateStore}. */
export interface SqliteStateStoreOptions {
  /**
   * An open better-sqlite3 `Database` (a file, so that state survives restarts). The store never
   * closes it: the user who opened it closes it, after closing the store.
   */
  readonly database: SqliteDatabase;
  /**
   * Table holding the records; created on first use, with a one-row `<table>_schema` table beside
   * it that records the schema version. An SQL identifier of at most 56 characters.
   * Default: `'trailing_stops'`.
   */
  readonly table?: string;
  /**
   * How often, in milliseconds, {@link SqliteStateStore.watch} checks whether another connection
   * committed (`PRAGMA data_version`: a read of shared memory, no I/O while nothing changed). The
   * lag with which a watcher learns of another connection's change. Default: 250.
   */
  readonly watchIntervalMs?: number;
  /**
   * Timers for the watch poll (only `setTimeout` and `clearTimeout` are used), e.g. the clock
   * the registry uses, or a test's. Default: the global timers.
   */
  readonly clock?: Clock;
}

/** Default of {@link SqliteStateStoreOptions.watchIntervalMs}. */
export const defaultWatchIntervalMs = 250;

const storeName = 'SqliteStateStore';

/**
 * A durable {@link StateStore} in SQLite, through a better-sqlite3 `Database` the user passes in.
 *
 * - Creates its table on first use (or when {@link SqliteStateStore.migrate} is called), and
 *   switches the database to WAL mode so readers never block the writer.
 * - Insert-if-absent is `INSERT ... ON CONFLICT DO NOTHING`; compare-and-set is
 *   `UPDATE ... WHERE key = ? AND version = ?`. better-sqlite3 is synchronous, so each operation is
 *   atomic within the process; SQLite's file locks make it atomic across processes on one machine
 *   (a busy database waits for the driver's `timeout`, 5 s by default in better-sqlite3).
 * - Records are stored as JSON, so every finite number round-trips exactly.
 * - A row whose JSON is damaged is returned with its columns only (`key`, `version`, `owner`,
 *   `state`, `leaseExpiresAt`) instead of failing `list()`; the registry's validation reports it.
 * - `close()` does not close the database; later calls reject with a `StoreError`.
 * - `watch()` reports this connection's writes right after each one, and other connections'
 *   commits by polling `PRAGMA data_version` every `watchIntervalMs` (then reading the table and
 *   reporting what differs). See {@link SqliteStateStore.watch}.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { SqliteStateStore } from 'trailing-stop-registry/sqlite';
 *
 * const database = new Database('trailing-stops.db');
 * const store = new SqliteStateStore({ database });
 * const registry = new TrailingStopRegistry({ placer, store });
 * // ... on shutdown:
 * await registry.close();
 * await store.close();
 * database.close();
 * ```
 */
export class SqliteStateStore implements StateStore {
  /** The schema version this code writes and understands; a newer stored version is refused. */
  static readonly schemaVersion: number = sqliteSchemaVersion;

  /** Durable (a file survives restarts); not shared between machines; watchable. */
  readonly capabilities: StateStoreCapabilities = { durable: true, shared: false, watch: true };

  /** The table holding the records. */
  readonly table: string;

  /** How often `watch()` polls for other connections' commits, in milliseconds. */
  readonly watchIntervalMs: number;

  readonly #database: SqliteDatabase;
  readonly #clock: Clock;
  readonly #feed = new ChangeFeed(() => this.#stopPolling());
  #poller: SqliteChangePoller | undefined;
  #statements: SqliteStatements | undefined;
  #closed = false;

  /**
   * Validates the options at once; touches the database only on first use.
   *
   * @throws TypeError when `database` lacks the methods of {@link SqliteDatabase}, `table` is not
   *   a plain SQL identifier, `watchIntervalMs` is not a positive finite number, or `clock` lacks
   *   `setTimeout` and `clearTimeout`.
   */
  constructor(options: SqliteStateStoreOptions) {
    const database = (options as Partial<SqliteStateStoreOptions> | undefined)?.database;
    if (typeof database?.prepare !== 'function' || typeof database.exec !== 'function' || typeof database.pragma !== 'function') {
      throw new TypeError(
        `Expected \`database\` to be a better-sqlite3 Database (with prepare, exec and pragma), got \`${String(database)}\` (${typeof database})`,
      );
    }
    const table = options.table === undefined ? 'trailing_stops' : options.table;
    assertIdentifier('table', table, maximumTableNameLength);
    const watchIntervalMs = options.watchIntervalMs ?? defaultWatchIntervalMs;
    if (typeof watchIntervalMs !== 'number' || !Number.isFinite(watchIntervalMs) || watchIntervalMs <= 0) {
      throw new TypeError(
        `Expected \`watchIntervalMs\` to be a positive finite number of milliseconds, got \`${String(watchIntervalMs)}\` (${typeof watchIntervalMs})`,
      );
    }
    const clock = options.clock ?? systemClock;
    if (typeof clock?.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
      throw new TypeError(`Expected \`clock\` to have setTimeout and clearTimeout, got \`${String(clock)}\` (${typeof clock})`);
    }
    this.#database = database;
    this.#clock = clock;
    this.watchIntervalMs = watchIntervalMs;
    this.table = table;
  }

  /**
   * Creates or upgrades the table now. Optional: every other method does it on first use. Call it
   * at startup to fail fast. Running it again is a no-op.
   *
   * @throws StoreError when the stored schema version is newer than {@link SqliteStateStore.schemaVersion}
   *   (the database was written by a newer release of this library), or the database fails.
   */
  async migrate(): Promise<void> {
    this.#open();
  }

  /** @inheritdoc */
  async load(key: string): Promise<StopRecord | undefined> {
    const statements = this.#open();
    try {
      const row = statements.load.get(key) as StoredRow | undefined;
      this.#observe({ key, row: row ?? null });
      return row === undefined ? undefined : decodeRow(row);
    } catch (error) {
      throw storeFailure(storeName, 'load', error, key);
    }
  }

  /** @inheritdoc */
  async list(): Promise<StopRecord[]> {
    const statements = this.#open();
    try {
      const rows = statements.list.all() as StoredRow[];
      announceTable(this.#database, this.table, rows, this.#database.inTransaction);
      return rows.map((row) => decodeRow(row));
    } catch (error) {
      throw storeFailure(storeName, 'list', error);
    }
  }

  /** @inheritdoc */
  async insert(record: StopRecord): Promise<InsertResult> {
    const statements = this.#open();
    assertRecordShape(record);
    const encoded = encodeRecord(record);
    try {
      // Between the INSERT and the SELECT another process may delete the winner: then try again.
      for (let attempt = 1; attempt <= 100; attempt++) {
        const result = statements.insert.run(
          encoded.key,
          encoded.version,
          encoded.owner,
          encoded.state,
          encoded.leaseExpiresAt,
          encoded.data,
        );
        if (Number(result.changes) === 1) {
          this.#observe({ key: encoded.key, row: rowOf(encoded), positionId: record.positionId });
          return { inserted: true, record: decodeEncoded(encoded) };
        }
        const winner = statements.load.get(encoded.key) as StoredRow | undefined;
        this.#observe({ key: encoded.key, row: winner ?? null });
        if (winner !== undefined) return { inserted: false, record: decodeRow(winner) };
      }
    } catch (error) {
      throw storeFailure(storeName, 'insert', error, record.key);
    }
    throw new StoreError(`${storeName}.insert for key \`${record.key}\` kept losing to inserts that were deleted at once`, {
      key: record.key,
    });
  }

  /** @inheritdoc */
  async compareAndSet(next: StopRecord, expectedVersion: number): Promise<CompareAndSetResult> {
    const statements = this.#open();
    assertRecordShape(next, expectedVersion);
    const encoded = encodeRecord(next);
    try {
      const result = statements.compareAndSet.run(
        encoded.version,
        encoded.owner,
        encoded.state,
        encoded.leaseExpiresAt,
        encoded.data,
        encoded.key,
        expectedVersion,
      );
      if (Number(result.changes) === 1) {
        this.#observe({ key: encoded.key, row: rowOf(encoded), positionId: next.positionId });
        return { updated: true, record: decodeEncoded(encoded) };
      }
      const current = statements.load.get(encoded.key) as StoredRow | undefined;
      this.#observe({ key: encoded.key, row: current ?? null });
      return { updated: false, current: current === undefined ? undefined : decodeRow(current) };
    } catch (error) {
      throw storeFailure(storeName, 'compareAndSet', error, next.key);
    }
  }

  /** @inheritdoc */
  async delete(key: string, expectedVersion?: number): Promise<boolean> {
    const statements = this.#open();
    try {
      const result =
        expectedVersion === undefined ? statements.delete.run(key) : statements.deleteVersion.run(key, expectedVersion);
      const deleted = Number(result.changes) === 1;
      if (deleted) this.#observe({ key, row: null, deleted: true });
      return deleted;
    } catch (error) {
      throw storeFailure(storeName, 'delete', error, key);
    }
  }

  /**
   * Reports changes to the table with the contract of {@link StateStore.watch}; resolves once the
   * watch is in place (the table read as the baseline, reported as nothing).
   *
   * - Writes through this connection (by this store, or another `SqliteStateStore` on the same
   *   `Database` and table) are reported right after each one, on a microtask, in write order.
   *   Inside a transaction you opened on the connection they are reported after it commits, at
   *   the next poll (a rollback reports nothing).
   * - Commits by other connections are found every `watchIntervalMs` through `PRAGMA
   *   data_version`; the table is then read and every row that differs from what the watch last
   *   saw is reported with the version it has now (versions in between are skipped; a delete and
   *   re-insert between two polls is one change), and every key gone as a deletion. Such a poll
   *   reads every row: with many records and frequent writes from other connections, choose a
   *   longer interval.
   * - Not seen: statements that bypass the store on this same connection.
   * - A failed poll ends every watch with `onError` (a `StoreError`). The timer is unref'd and
   *   stops when the last watch ends; `close()` ends every watch.
   *
   * @throws TypeError for a listener that is not a function or a missing signal (before any I/O).
   * @throws StoreError once closed, or when the baseline read fails.
   */
  async watch(listener: (change: StoreChange) => void, options: StoreWatchOptions): Promise<void> {
    assertWatchArguments(listener, options);
    const statements = this.#open();
    if (options.signal.aborted) return;
    try {
      if (this.#poller === undefined) {
        const poller = new SqliteChangePoller(
          {
            connection: this.#database,
            table: this.table,
            readDataVersion: () => readDataVersion(statements.dataVersion, storeName),
            readRows: () => statements.list.all() as StoredRow[],
            inTransaction: () => this.#database.inTransaction,
            failure: (error) => storeFailure(storeName, 'watch', error),
          },
          this.#feed,
          this.#clock,
          this.watchIntervalMs,
        );
        poller.start();
        this.#poller = poller;
      } else {
        // Bring the watches already running up to date first, so the new one starts from now.
        this.#poller.poll();
      }
    } catch (error) {
      if (this.#feed.size === 0) this.#stopPolling();
      throw storeFailure(storeName, 'watch', error);
    }
    this.#feed.subscribe(listener, options);
  }

  /**
   * Marks the store closed: later calls reject with a `StoreError`; ends every watch. Does not
   * close the database the user passed in; close it yourself afterwards. Calling it again does
   * nothing.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#feed.clear();
    this.#stopPolling();
    this.#statements = undefined;
  }

  /** Tells the connection's watchers what a call found or wrote. */
  #observe(observation: SqliteObservation): void {
    announceObservation(this.#database, this.table, observation, this.#database.inTransaction);
  }

  #stopPolling(): void {
    this.#poller?.stop();
    this.#poller = undefined;
  }

  /** Throws once closed; on first use, migrates the schema and prepares the statements. */
  #open(): SqliteStatements {
    if (this.#closed) throw new StoreError(`${storeName} (table \`${this.table}\`) is closed`);
    if (this.#statements !== undefined) return this.#statements;
    try {
      migrateSqliteSchema(this.#database, this.table);
      this.#statements = prepareSqliteStatements(this.#database, this.table);
    } catch (error) {
      throw storeFailure(storeName, 'migrate', error);
    }
    return this.#statements;
  }
}

/** The row a successful write left, as a read would return it. */
function rowOf(encoded: EncodedRecord): StoredRow {
  return {
    key: encoded.key,
    version: encoded.version,
    owner: encoded.owner,
    state: encoded.state,
    lease_expires_at: encoded.leaseExpiresAt,
    data: encoded.data,
  };
}
