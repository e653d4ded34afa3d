/**
 * Loads the database driver (better-sqlite3 or pg) from the operator's project: the package never
 * depends on either, so the CLI resolves them from the current directory, as the bot does.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SqliteDatabase } from '../stores/sqlite.js';
import { CliError } from './cli-error.js';

/** The subset of better-sqlite3's `Database` options the CLI passes. */
export interface SqliteOpenOptions {
  /** Open read-only: every write fails in SQLite itself. */
  readonly readonly?: boolean;
  /** Fail instead of creating a missing file. */
  readonly fileMustExist?: boolean;
}

/** The subset of better-sqlite3's `Database` the CLI uses: what the SQLite store uses, and `close`. */
export interface SqliteConnection extends SqliteDatabase {
  /** Closes the connection. */
  close(): unknown;
}

/** better-sqlite3's default export: the `Database` class. */
export type SqliteDriver = new (file: string, options?: SqliteOpenOptions) => SqliteConnection;

/** The subset of pg's `Client` options the CLI passes. */
export interface PostgresClientConfig {
  /** The operator's URL. */
  readonly connectionString: string;
  /** Gives up connecting after this long. */
  readonly connectionTimeoutMillis: number;
  /** Shown in `pg_stat_activity` unless the operator set PGAPPNAME. */
  readonly fallback_application_name: string;
}

/** The subset of pg's `Client` the CLI uses. */
export interface PostgresConnection {
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Runs one statement. */
  query(text: string, values?: unknown[]): Promise<{ readonly rows: readonly unknown[] }>;
  /** Closes the connection. */
  end(): Promise<unknown>;
  /** pg emits `error` when an idle connection breaks; unheard, it would crash the process. */
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The subset of the `pg` module the CLI uses. */
export interface PostgresDriver {
  /** pg's `Client` class. */
  readonly Client: new (config: PostgresClientConfig) => PostgresConnection;
}

/** Loads better-sqlite3 from the project in `cwd`. */
export function loadSqliteDriver(cwd: string): SqliteDriver {
  const loaded = loadFromProject('better-sqlite3', '--sqlite', cwd) as SqliteDriver | { default: SqliteDriver };
  return typeof loaded === 'function' ? loaded : loaded.default;
}

/** Loads pg from the project in `cwd`. */
export function loadPostgresDriver(cwd: string): PostgresDriver {
  const loaded = loadFromProject('pg', '--postgres', cwd) as PostgresDriver & { default?: PostgresDriver };
  return typeof loaded.Client === 'function' ? loaded : loaded.default!;
}

function loadFromProject(name: 'better-sqlite3' | 'pg', option: string, cwd: string): unknown {
  // Resolution starts in `cwd`, as if a file there had called require(): node_modules of cwd, then of its parents.
  const require = createRequire(join(cwd, 'trailing-stop-registry-cli.cjs'));
  let path: string;
  try {
    path = require.resolve(name);
  } catch {
    throw new CliError(
      `${option} needs the \`${name}\` package, which is not installed in ${cwd} or above: run \`npm install ${name}\` in your project and run this command from there`,
    );
  }
  try {
    return require(path) as unknown;
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new CliError(`Could not load \`${name}\` from ${path}: ${reason}`);
  }
}
