/**
 * Opens the store a command works on, through the store classes the registry uses, after checking
 * what the database holds: read-only commands open read-only connections and never create or
 * migrate a table; a table written by a newer release is refused before any statement touches it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StateStore } from '../ports/state-store.js';
import { SqliteStateStore } from '../stores/sqlite.js';
import { PostgresStateStore } from '../stores/postgres.js';
import { quoteIdentifier, schemaTableSuffix } from '../stores/identifier.js';
import type { StoreTarget } from './arguments.js';
import { CliError } from './cli-error.js';
import { loadPostgresDriver, loadSqliteDriver, type PostgresConnection, type SqliteConnection } from './drivers.js';
import { redactUrl } from './redact.js';

/** How a command uses the store. */
export type AccessMode =
  /** Reads only (list, show, export): read-only connection; the table must exist at the current version. */
  | 'read'
  /** Deletes (prune): the table must exist at the current version. */
  | 'write'
  /** Restores (import): the file or table may be missing and is then created. */
  | 'create';

/** The table's state before the store touches it. */
export interface TableState {
  /** True when the records table exists. */
  readonly exists: boolean;
  /** Schema version recorded beside it; `undefined` without a version row. */
  readonly version: number | undefined;
}

/** An open store and what the commands need around it. */
export interface OpenStore {
  /** The store, as the registry would use it. */
  readonly store: StateStore;
  /** The store, for messages: `SQLite file trades.db, table trailing_stops`; never a password. */
  readonly description: string;
  /** The table's state when it was opened. */
  readonly table: TableState;
  /** Runs `work` in one database transaction (import: all records or none). */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Closes the store and the connection. */
  close(): Promise<void>;
}

/** Opens `target` for `mode`, resolving the driver from `cwd`. */
export async function openStore(target: StoreTarget, mode: AccessMode, cwd: string): Promise<OpenStore> {
  return target.kind === 'sqlite' ? openSqlite(target, mode, cwd) : openPostgres(target, mode, cwd);
}

async function openSqlite(target: Extract<StoreTarget, { kind: 'sqlite' }>, mode: AccessMode, cwd: string): Promise<OpenStore> {
  const Database = loadSqliteDriver(cwd);
  const table = target.table ?? 'trailing_stops';
  const description = `SQLite file ${target.file}, table ${table}`;
  const file = resolve(cwd, target.file);
  if (mode !== 'create' && !existsSync(file)) throw new CliError(`No SQLite file at ${file} (check --sqlite)`);
  let database: SqliteConnection;
  try {
    database = new Database(file, mode === 'read' ? { readonly: true, fileMustExist: true } : { fileMustExist: mode === 'write' });
  } catch (error) {
    throw new CliError(`Cannot open SQLite file ${target.file}: ${messageOf(error)}`);
  }
  try {
    const state = inspectSqlite(database, table, description);
    checkTable(state, mode, description, SqliteStateStore.schemaVersion, '--table');
    const store = new SqliteStateStore({ database, table });
    return {
      store,
      description,
      table: state,
      async transaction(work) {
        // The store migrates inside its own transaction: do that first, then hold the write lock.
        await store.migrate();
        database.exec('BEGIN IMMEDIATE');
        try {
          const result = await work();
          database.exec('COMMIT');
          return result;
        } catch (error) {
          if (database.inTransaction) database.exec('ROLLBACK');
          throw error;
        }
      },
      async close() {
        await store.close();
        database.close();
      },
    };
  } catch (error) {
    database.close();
    throw error;
  }
}

function inspectSqlite(database: SqliteConnection, table: string, description: string): TableState {
  try {
    const names = (database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)").all(table, `${table}${schemaTableSuffix}`) as { name: string }[]).map(
      (row) => row.name,
    );
    const exists = names.includes(table);
    if (!names.includes(`${table}${schemaTableSuffix}`)) return { exists, version: undefined };
    const row = database.prepare(`SELECT version FROM ${quoteIdentifier(`${table}${schemaTableSuffix}`)}`).get() as { version: unknown } | undefined;
    return { exists, version: row === undefined ? undefined : Number(row.version) };
  } catch (error) {
    throw new CliError(`Cannot read ${description}: ${messageOf(error)}`);
  }
}

async function openPostgres(target: Extract<StoreTarget, { kind: 'postgres' }>, mode: AccessMode, cwd: string): Promise<OpenStore> {
  const pg = loadPostgresDriver(cwd);
  const schema = target.schema ?? 'public';
  const table = target.table ?? 'trailing_stops';
  const description = `PostgreSQL ${redactUrl(target.url)}, table ${schema}.${table}`;
  // One connection, not a pool: a session setting (read only) and a transaction then cover every statement.
  const client: PostgresConnection = new pg.Client({
    connectionString: target.url,
    connectionTimeoutMillis: 10_000,
    fallback_application_name: 'trailing-stop-registry-cli',
  });
  client.on('error', () => {
    // A broken connection also fails the pending query, which reports it.
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new CliError(`Cannot connect to ${redactUrl(target.url)}: ${messageOf(error)}`);
  }
  try {
    if (mode === 'read') await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    const state = await inspectPostgres(client, schema, table, description);
    checkTable(state, mode, description, PostgresStateStore.schemaVersion, '--schema and --table');
    const store = new PostgresStateStore({ client, schema, table });
    return {
      store,
      description,
      table: state,
      async transaction(work) {
        await store.migrate();
        await client.query('BEGIN');
        try {
          const result = await work();
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      },
      async close() {
        await store.close();
        await client.end();
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

async function inspectPostgres(client: PostgresConnection, schema: string, table: string, description: string): Promise<TableState> {
  const qualifiedTable = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  const qualifiedVersions = `${quoteIdentifier(schema)}.${quoteIdentifier(`${table}${schemaTableSuffix}`)}`;
  try {
    const found = (await client.query('SELECT to_regclass($1) IS NOT NULL AS records, to_regclass($2) IS NOT NULL AS versions', [qualifiedTable, qualifiedVersions]))
      .rows[0] as { records: boolean; versions: boolean };
    if (!found.versions) return { exists: found.records, version: undefined };
    const row = (await client.query(`SELECT version FROM ${qualifiedVersions}`)).rows[0] as { version: unknown } | undefined;
    return { exists: found.records, version: row === undefined ? undefined : Number(row.version) };
  } catch (error) {
    throw new CliError(`Cannot read ${description}: ${messageOf(error)}`);
  }
}

/** Refuses a table this release cannot read, and a missing or outdated one unless the command creates. */
function checkTable(state: TableState, mode: AccessMode, description: string, known: number, options: string): void {
  if (state.version !== undefined && state.version > known) {
    throw new CliError(
      `${description} has store schema version ${state.version}, newer than version ${known} that this release of ` +
        'trailing-stop-registry reads; run the CLI of the release that wrote it (upgrade trailing-stop-registry)',
    );
  }
  if (mode === 'create') return;
  if (!state.exists) throw new CliError(`${description} does not exist (check ${options}); nothing to ${mode === 'read' ? 'read' : 'prune'}`);
  if (state.version !== known) {
    throw new CliError(
      `${description} has store schema version ${state.version ?? 'unknown'}, older than version ${known}; start a registry of ` +
        'this release on it once to migrate it (this command does not migrate)',
    );
  }
}

/**
 * The first line of an error's message. A failed connect to a host name with several addresses
 * is an AggregateError with an empty message: its first error or its code says what happened.
 */
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split('\n')[0]!.trim();
  const first = error instanceof AggregateError ? (error.errors[0] as unknown) : undefined;
  const code = (error as { code?: unknown }).code;
  const message = error.message !== '' ? error.message : first instanceof Error ? first.message : typeof code === 'string' ? code : error.name;
  return message.split('\n')[0]!.trim();
}
