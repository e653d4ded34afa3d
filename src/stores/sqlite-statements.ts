/**
 * The SQL the SQLite store runs, prepared once the schema is in place: one statement per store
 * operation, and the `PRAGMA data_version` read its watch polls.
 */
import { StoreError } from '../errors.js';
import { quoteIdentifier } from './identifier.js';
import { toNumber } from './record-codec.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/** Statements prepared once the schema is in place. */
export interface SqliteStatements {
  /** The row of one key. */
  readonly load: SqliteStatement;
  /** Every row. */
  readonly list: SqliteStatement;
  /** Insert-if-absent. */
  readonly insert: SqliteStatement;
  /** Update at an expected version. */
  readonly compareAndSet: SqliteStatement;
  /** Delete whatever version. */
  readonly delete: SqliteStatement;
  /** Delete at an expected version. */
  readonly deleteVersion: SqliteStatement;
  /** `PRAGMA data_version`. */
  readonly dataVersion: SqliteStatement;
}

const columns = 'key, version, owner, state, lease_expires_at, data';

/** Prepares the store's statements on `table` (a checked identifier, not yet quoted). */
export function prepareSqliteStatements(database: SqliteDatabase, table: string): SqliteStatements {
  const quoted = quoteIdentifier(table);
  return {
    load: database.prepare(`SELECT ${columns} FROM ${quoted} WHERE key = ?`),
    list: database.prepare(`SELECT ${columns} FROM ${quoted}`),
    insert: database.prepare(`INSERT INTO ${quoted} (${columns}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`),
    compareAndSet: database.prepare(
      `UPDATE ${quoted} SET version = ?, owner = ?, state = ?, lease_expires_at = ?, data = ? WHERE key = ? AND version = ?`,
    ),
    delete: database.prepare(`DELETE FROM ${quoted} WHERE key = ?`),
    deleteVersion: database.prepare(`DELETE FROM ${quoted} WHERE key = ? AND version = ?`),
    dataVersion: database.prepare('PRAGMA data_version'),
  };
}

/**
 * `PRAGMA data_version`: changes whenever another connection committed to the database.
 *
 * @throws StoreError when the PRAGMA returns no number.
 */
export function readDataVersion(statement: SqliteStatement, storeName: string): number {
  const row = statement.get() as { data_version?: unknown } | undefined;
  const version = toNumber(row?.data_version);
  if (Number.isNaN(version)) throw new StoreError(`${storeName}: PRAGMA data_version returned no number`);
  return version;
}
