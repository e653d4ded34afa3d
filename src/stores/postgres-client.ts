/**
 * The one member of a `pg` `Pool` or `Client` that {@link PostgresStateStore} calls for its
 * reads and writes, described here so the package never imports `pg` (`watch()` needs a pool:
 * see {@link PostgresPool}).
 */

/** What {@link PostgresQueryable.query} resolves to: the subset of pg's `QueryResult` the store reads. */
export interface PostgresQueryResult {
  /** Result rows, one object per row keyed by column name. */
  readonly rows: readonly unknown[];
}

/**
 * Anything that runs one SQL statement with `$1, $2, ...` parameters: a `pg` `Pool` (recommended:
 * each call may use a different connection, which the store never relies on; and `watch()` needs
 * one, see {@link PostgresPool}) or `Client`.
 */
export interface PostgresQueryable {
  /** Runs `text` with `values` bound to `$1, $2, ...`. */
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
}
