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
} from '../ports/state-store.js';
import { StoreError } from '../errors.js';
import { assertRecordShape } from './record-shape.js';
import { assertIdentifier, maximumTableNameLength, quoteIdentifier, schemaTableSuffix } from './identifier.js';
import { decodeEncoded, decodeRow, encodeRecord, storeFailure, toNumber, type StoredRow } from './record-codec.js';

/** A prepared statement: the subset of better-sqlite3's `Statement` that the store uses. */
export interface SqliteStatement {
  /** Runs the statement. */
  run(...parameters: unknown[]): {
    /** The number of rows written. */
    readonly changes: number | bigint;
  };
  /** The first result row, or `undefined`. */
  get(...parameters: unknown[]): unknown;
  /** Every result row. */
  all(...parameters: unknown[]): unknown[];
}

/**
 * The subset of better-sqlite3's `Database` that {@link SqliteStateStore} uses. A better-sqlite3
 * `Database` satisfies it as is; so does any synchronous driver with the same methods.
 */
export interface SqliteDatabase {
  /** Compiles one SQL statement. */
  prepare(sql: string): SqliteStatement;
  /** Runs one or more SQL statements without parameters. */
  exec(sql: string): unknown;
  /** Runs a PRAGMA, e.g. `journal_mode = WAL`. */
  pragma(source: string): unknown;
  /** True while a transaction is open on this connection. */
  readonly inTransaction: boolean;
}

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
}

/** Statements prepared once the schema is in place. */
interface PreparedStatements {
  readonly load: SqliteStatement;
  readonly list: SqliteStatement;
  readonly insert: SqliteStatement;
  readonly compareAndSet: SqliteStatement;
  readonly delete: SqliteStatement;
  readonly deleteVersion: SqliteStatement;
}

/** Schema migrations by target version; each runs inside the migration transaction. */
const migrations: ReadonlyArray<{ readonly version: number; readonly sql: (table: string) => string }> = [
  {
    version: 1,
    // `data` holds the whole record as JSON; the other columns serve compare-and-set and queries.
    sql: (table) => `CREATE TABLE IF NOT EXISTS ${table} (
      key TEXT PRIMARY KEY NOT NULL,
      version INTEGER NOT NULL,
      owner TEXT NOT NULL,
      state TEXT NOT NULL,
      lease_expires_at REAL,
      data TEXT NOT NULL
    )`,
  },
];

const storeName = 'SqliteStateStore';
const columns = 'key, version, owner, state, lease_expires_at, data';

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
  static readonly schemaVersion: number = migrations.at(-1)?.version ?? 0;

  /** Durable (a file survives restarts); not shared between machines. */
  readonly capabilities: StateStoreCapabilities = { durable: true, shared: false };

  /** The table holding the records. */
  readonly table: string;

  readonly #database: SqliteDatabase;
  readonly #quotedTable: string;
  readonly #quotedSchemaTable: string;
  #statements: PreparedStatements | undefined;
  #closed = false;

  /**
   * Validates the options at once; touches the database only on first use.
   *
   * @throws TypeError when `database` lacks the methods of {@link SqliteDatabase} or `table` is not
   *   a plain SQL identifier.
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
    this.#database = database;
    this.table = table;
    this.#quotedTable = quoteIdentifier(table);
    this.#quotedSchemaTable = quoteIdentifier(`${table}${schemaTableSuffix}`);
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
      return row === undefined ? undefined : decodeRow(row);
    } catch (error) {
      throw storeFailure(storeName, 'load', error, key);
    }
  }

  /** @inheritdoc */
  async list(): Promise<StopRecord[]> {
    const statements = this.#open();
    try {
      return (statements.list.all() as StoredRow[]).map((row) => decodeRow(row));
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
        if (Number(result.changes) === 1) return { inserted: true, record: decodeEncoded(encoded) };
        const winner = statements.load.get(encoded.key) as StoredRow | undefined;
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
      if (Number(result.changes) === 1) return { updated: true, record: decodeEncoded(encoded) };
      const current = statements.load.get(encoded.key) as StoredRow | undefined;
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
      return Number(result.changes) === 1;
    } catch (error) {
      throw storeFailure(storeName, 'delete', error, key);
    }
  }

  /**
   * Marks the store closed: later calls reject with a `StoreError`. Does not close the database
   * the user passed in; close it yourself afterwards. Calling it again does nothing.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#statements = undefined;
  }

  /** Throws once closed; on first use, migrates the schema and prepares the statements. */
  #open(): PreparedStatements {
    if (this.#closed) throw new StoreError(`${storeName} (table \`${this.table}\`) is closed`);
    if (this.#statements !== undefined) return this.#statements;
    try {
      this.#migrateSchema();
      this.#statements = this.#prepare();
    } catch (error) {
      throw storeFailure(storeName, 'migrate', error);
    }
    return this.#statements;
  }

  #migrateSchema(): void {
    const database = this.#database;
    // WAL lets readers proceed while one writer writes. An in-memory database answers `memory`.
    database.pragma('journal_mode = WAL');
    if (this.#readSchemaVersion() === SqliteStateStore.schemaVersion) return;
    // IMMEDIATE takes the write lock at once, so two processes starting together migrate in turn.
    database.exec('BEGIN IMMEDIATE');
    try {
      database.exec(
        `CREATE TABLE IF NOT EXISTS ${this.#quotedSchemaTable} (
          singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
          version INTEGER NOT NULL
        );
        INSERT INTO ${this.#quotedSchemaTable} (singleton, version) VALUES (1, 0) ON CONFLICT DO NOTHING;`,
      );
      const stored = this.#readSchemaVersion() ?? 0;
      for (const migration of migrations) {
        if (migration.version <= stored) continue;
        database.exec(migration.sql(this.#quotedTable));
        database.prepare(`UPDATE ${this.#quotedSchemaTable} SET version = ?`).run(migration.version);
      }
      database.exec('COMMIT');
    } catch (error) {
      if (database.inTransaction) database.exec('ROLLBACK');
      throw error;
    }
  }

  /** The stored schema version, or `undefined` before the version table exists. */
  #readSchemaVersion(): number | undefined {
    let row: { version: unknown } | undefined;
    try {
      row = this.#database.prepare(`SELECT version FROM ${this.#quotedSchemaTable}`).get() as
        | { version: unknown }
        | undefined;
    } catch {
      return undefined; // No version table yet.
    }
    if (row === undefined) return undefined;
    const version = toNumber(row.version);
    this.#assertKnownVersion(version);
    return version;
  }

  #assertKnownVersion(stored: number): void {
    const known = SqliteStateStore.schemaVersion;
    if (stored > known) {
      throw new StoreError(
        `Table \`${this.table}\` has schema version ${stored}, but this release of trailing-stop-registry ` +
          `knows schema version ${known} at most; upgrade trailing-stop-registry to use this database`,
      );
    }
  }

  #prepare(): PreparedStatements {
    const database = this.#database;
    const table = this.#quotedTable;
    return {
      load: database.prepare(`SELECT ${columns} FROM ${table} WHERE key = ?`),
      list: database.prepare(`SELECT ${columns} FROM ${table}`),
      insert: database.prepare(`INSERT INTO ${table} (${columns}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`),
      compareAndSet: database.prepare(
        `UPDATE ${table} SET version = ?, owner = ?, state = ?, lease_expires_at = ?, data = ? WHERE key = ? AND version = ?`,
      ),
      delete: database.prepare(`DELETE FROM ${table} WHERE key = ?`),
      deleteVersion: database.prepare(`DELETE FROM ${table} WHERE key = ? AND version = ?`),
    };
  }
}
