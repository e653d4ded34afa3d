/**
 * The SQLite store's schema: the migrations by version, the one-row `<table>_schema` table that
 * records the version, and the migration run on first use (WAL mode, the write lock taken at once
 * so two processes starting together migrate in turn, a newer stored version refused).
 */
import { StoreError } from '../errors.js';
import { quoteIdentifier, schemaTableSuffix } from './identifier.js';
import { toNumber } from './record-codec.js';
import type { SqliteDatabase } from './sqlite-database.js';

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

/** The schema version this code writes and understands. */
export const sqliteSchemaVersion: number = migrations.at(-1)?.version ?? 0;

/**
 * Switches `database` to WAL mode and creates or upgrades `table` (a checked identifier) and its
 * version table to {@link sqliteSchemaVersion}; a no-op when already there.
 *
 * @throws StoreError when the stored version is newer than {@link sqliteSchemaVersion}; the
 *   driver's error when the database fails (the transaction rolled back).
 */
export function migrateSqliteSchema(database: SqliteDatabase, table: string): void {
  const quotedTable = quoteIdentifier(table);
  const quotedSchemaTable = quoteIdentifier(`${table}${schemaTableSuffix}`);
  // WAL lets readers proceed while one writer writes. An in-memory database answers `memory`.
  database.pragma('journal_mode = WAL');
  if (readSchemaVersion(database, table, quotedSchemaTable) === sqliteSchemaVersion) return;
  // IMMEDIATE takes the write lock at once, so two processes starting together migrate in turn.
  database.exec('BEGIN IMMEDIATE');
  try {
    database.exec(
      `CREATE TABLE IF NOT EXISTS ${quotedSchemaTable} (
        singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
        version INTEGER NOT NULL
      );
      INSERT INTO ${quotedSchemaTable} (singleton, version) VALUES (1, 0) ON CONFLICT DO NOTHING;`,
    );
    const stored = readSchemaVersion(database, table, quotedSchemaTable) ?? 0;
    for (const migration of migrations) {
      if (migration.version <= stored) continue;
      database.exec(migration.sql(quotedTable));
      database.prepare(`UPDATE ${quotedSchemaTable} SET version = ?`).run(migration.version);
    }
    database.exec('COMMIT');
  } catch (error) {
    if (database.inTransaction) database.exec('ROLLBACK');
    throw error;
  }
}

/** The stored schema version, or `undefined` before the version table exists. */
function readSchemaVersion(database: SqliteDatabase, table: string, quotedSchemaTable: string): number | undefined {
  let row: { version: unknown } | undefined;
  try {
    row = database.prepare(`SELECT version FROM ${quotedSchemaTable}`).get() as { version: unknown } | undefined;
  } catch {
    return undefined; // No version table yet.
  }
  if (row === undefined) return undefined;
  const version = toNumber(row.version);
  assertKnownVersion(table, version);
  return version;
}

function assertKnownVersion(table: string, stored: number): void {
  const known = sqliteSchemaVersion;
  if (stored > known) {
    throw new StoreError(
      `Table \`${table}\` has schema version ${stored}, but this release of trailing-stop-registry ` +
        `knows schema version ${known} at most; upgrade trailing-stop-registry to use this database`,
    );
  }
}
