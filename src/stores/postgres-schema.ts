/**
 * The PostgreSQL store's schema: the migrations by version, the one-row `<table>_schema` table
 * that records the version, and the migration run on first use: one statement under an advisory
 * lock, skipped when the stored version is current, a newer stored version refused.
 */
import { StoreError } from '../errors.js';
import { quoteIdentifier, schemaTableSuffix } from './identifier.js';
import { storeFailure, toNumber } from './record-codec.js';
import type { PostgresQueryable } from './postgres-client.js';

/** Schema migrations by target version; each is PL/pgSQL run inside the migration statement. */
const migrations: ReadonlyArray<{ readonly version: number; readonly sql: (table: string) => string }> = [
  {
    version: 1,
    // `data` is `json`, not `jsonb`: json keeps the exact text (numbers as written by
    // JSON.stringify) and accepts every string JSON.stringify can produce.
    sql: (table) => `CREATE TABLE IF NOT EXISTS ${table} (
      key text PRIMARY KEY,
      version bigint NOT NULL,
      owner text NOT NULL,
      state text NOT NULL,
      lease_expires_at double precision,
      data json NOT NULL
    );`,
  },
];

/**
 * Advisory lock key ("tsr_migr" in ASCII) that serializes concurrent first starts. One key for every
 * table: migrations are rare and short.
 */
const migrationLockKey = '8391176284904449906';

/** The schema version this code writes and understands. */
export const postgresSchemaVersion: number = migrations.at(-1)?.version ?? 0;

/** Where the store's tables are: validated identifiers, not yet quoted. */
export interface PostgresTableName {
  /** The schema holding the tables. */
  readonly schema: string;
  /** The records table (its version table is `<table>_schema`). */
  readonly table: string;
}

/**
 * Creates or upgrades the schema and tables to {@link postgresSchemaVersion}. An up-to-date table
 * needs no DDL (and no CREATE privilege): only its version is read.
 *
 * @throws StoreError when the stored version is newer than {@link postgresSchemaVersion}, when the
 *   migration fails (operation `migrate`), or when no version row is there after it.
 */
export async function migratePostgresSchema(client: PostgresQueryable, name: PostgresTableName, storeName: string): Promise<void> {
  // Fast path: an up-to-date table needs no DDL (and no CREATE privilege).
  let stored = await readSchemaVersion(client, name).catch(() => undefined);
  if (stored === postgresSchemaVersion) return;
  if (stored !== undefined) assertKnownVersion(name, stored);
  try {
    await client.query(migrationStatement(name));
    stored = await readSchemaVersion(client, name);
  } catch (error) {
    throw storeFailure(storeName, 'migrate', error);
  }
  if (stored === undefined) {
    throw new StoreError(`${storeName}: table \`${name.schema}.${name.table}${schemaTableSuffix}\` has no version row after migrating`);
  }
  assertKnownVersion(name, stored);
}

function qualifiedTable(name: PostgresTableName): string {
  return `${quoteIdentifier(name.schema)}.${quoteIdentifier(name.table)}`;
}

function qualifiedSchemaTable(name: PostgresTableName): string {
  return `${quoteIdentifier(name.schema)}.${quoteIdentifier(`${name.table}${schemaTableSuffix}`)}`;
}

/**
 * The whole migration as ONE statement (a DO block), because `query()` may use a different
 * pooled connection per call and so cannot hold a transaction open. One statement is one
 * transaction: it either applies completely or not at all, and a failure leaves no connection in
 * an aborted transaction. The advisory lock, held until the statement ends, makes concurrent
 * first starts run one after the other; each later one sees the work done and skips it.
 * Identifiers were validated at construction, so interpolating them is safe.
 */
function migrationStatement(name: PostgresTableName): string {
  const schemaTable = qualifiedSchemaTable(name);
  const steps = migrations
    .map(
      (migration) => `
  IF (SELECT version FROM ${schemaTable}) < ${migration.version} THEN
    ${migration.sql(qualifiedTable(name))}
    UPDATE ${schemaTable} SET version = ${migration.version};
  END IF;`,
    )
    .join('');
  // to_regnamespace/to_regclass check existence first: CREATE ... IF NOT EXISTS would demand the
  // CREATE privilege even when nothing needs creating.
  return `DO $migration$
BEGIN
  PERFORM pg_advisory_xact_lock(${migrationLockKey});
  IF to_regnamespace('${quoteIdentifier(name.schema)}') IS NULL THEN
    CREATE SCHEMA ${quoteIdentifier(name.schema)};
  END IF;
  IF to_regclass('${schemaTable}') IS NULL THEN
    CREATE TABLE ${schemaTable} (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      version integer NOT NULL
    );
  END IF;
  INSERT INTO ${schemaTable} (singleton, version) VALUES (true, 0) ON CONFLICT (singleton) DO NOTHING;${steps}
END
$migration$`;
}

/** The stored schema version, or `undefined` when the version table has no row. */
async function readSchemaVersion(client: PostgresQueryable, name: PostgresTableName): Promise<number | undefined> {
  const result = await client.query(`SELECT version FROM ${qualifiedSchemaTable(name)}`);
  const row = result.rows[0] as { version: unknown } | undefined;
  return row === undefined ? undefined : toNumber(row.version);
}

function assertKnownVersion(name: PostgresTableName, stored: number): void {
  const known = postgresSchemaVersion;
  if (stored > known) {
    throw new StoreError(
      `Table \`${name.schema}.${name.table}\` has schema version ${stored}, but this release of ` +
        `trailing-stop-registry knows schema version ${known} at most; upgrade trailing-stop-registry to use this database`,
    );
  }
}
