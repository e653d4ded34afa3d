/**
 * The few members of a better-sqlite3 `Database` and `Statement` that {@link SqliteStateStore}
 * calls, described here so the package never imports better-sqlite3.
 */

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
