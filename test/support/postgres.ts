/**
 * Access to the PostgreSQL server the Postgres tests run against, named by DATABASE_URL.
 *
 * - DATABASE_URL set: tests run, each in its own schema with a random name, dropped afterwards,
 *   so test files (and repeated runs) never collide.
 * - Unset, outside CI: the Postgres tests are skipped, with one loud line saying how to run them.
 * - Unset under CI=true: a test fails, so CI can never pass without having run them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { it } from 'vitest';

/** The server's URL, or `undefined` when the Postgres tests cannot run here. */
export const databaseUrl: string | undefined = process.env.DATABASE_URL || undefined;

/** True when the Postgres tests run. */
export const postgresAvailable = databaseUrl !== undefined;

const howToRun =
  'set DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DATABASE, or run `scripts/with-postgres.sh npm test` ' +
  'to start a throwaway server';

/**
 * Call once at the top level of a Postgres test file. Without a server it prints one loud line
 * (outside CI) or registers a failing test (under CI=true).
 */
export function reportMissingPostgres(): void {
  if (postgresAvailable) return;
  if (process.env.CI === 'true') {
    it('has a PostgreSQL server (DATABASE_URL) under CI', () => {
      throw new Error(`DATABASE_URL is not set, but CI=true requires the PostgreSQL tests to run: ${howToRun}`);
    });
    return;
  }
  console.warn(`\n*** SKIPPING the PostgreSQL tests: DATABASE_URL is not set. To run them, ${howToRun}. ***\n`);
}

/** A fresh schema name, unique per call: `tsr_test_<random hex>`. */
export function randomSchemaName(): string {
  return `tsr_test_${randomBytes(6).toString('hex')}`;
}

/** A pool on the test server, for one test file; end it in `afterAll`. */
export function createPool(options: pg.PoolConfig = {}): pg.Pool {
  if (databaseUrl === undefined) throw new Error(`DATABASE_URL is not set: ${howToRun}`);
  return new pg.Pool({ connectionString: databaseUrl, max: 10, ...options });
}

/** Drops `schema` and everything in it (no error when it does not exist). */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
