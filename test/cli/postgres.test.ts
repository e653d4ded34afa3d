/**
 * The CLI on the real PostgreSQL server of the test run (DATABASE_URL; see test/support/postgres.ts:
 * skipped with a loud line when absent, failing under CI). Each test works in its own schema.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStateStore } from '../../src/stores/postgres.js';
import { createPool, databaseUrl, dropSchema, postgresAvailable, randomSchemaName, reportMissingPostgres } from '../support/postgres.js';
import { cli, type CliRun } from './run.js';
import { describeCliCommands, sampleRecords } from './store-commands.js';

reportMissingPostgres();

describe.runIf(postgresAvailable)('PostgreSQL', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = createPool();
  });
  afterAll(async () => {
    await pool.end();
  });

  describeCliCommands('PostgreSQL', async () => {
    const schema = randomSchemaName();
    const store = new PostgresStateStore({ client: pool, schema });
    return {
      args: ['--postgres', databaseUrl!, '--schema', schema],
      store,
      async insertDamagedRow(key) {
        await store.migrate();
        // The column is json, so the damage is valid JSON that is not a record (a hand edit).
        await pool.query(
          `INSERT INTO "${schema}".trailing_stops (key, version, owner, state, lease_expires_at, data) VALUES ($1, 1, 'registry-x', 'active', NULL, '"edited by hand"'::json)`,
          [key],
        );
      },
      async setSchemaVersion(version) {
        await pool.query(`UPDATE "${schema}".trailing_stops_schema SET version = $1`, [version]);
      },
      async tableExists() {
        return (await pool.query('SELECT to_regclass($1) IS NOT NULL AS found', [`"${schema}".trailing_stops`])).rows[0].found as boolean;
      },
      async other() {
        return { args: ['--postgres', databaseUrl!, '--schema', schema, '--table', 'restored'], store: new PostgresStateStore({ client: pool, schema, table: 'restored' }) };
      },
      cleanup: () => dropSchema(pool, schema),
    };
  });

  describe('the CLI on PostgreSQL servers', () => {
    const password = new URL(databaseUrl ?? 'postgres://x@localhost/db').password;

    function expectNoPassword(run: CliRun): void {
      expect(password.length).toBeGreaterThan(0);
      expect(run.stdout).not.toContain(password);
      expect(run.stderr).not.toContain(password);
    }

    it('reads without creating anything: a missing schema stays missing', async () => {
      const schema = randomSchemaName();
      const run = await cli(['list', '--postgres', databaseUrl!, '--schema', schema]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^trailing-stop-registry: PostgreSQL postgres://[^ ]*:\\*\\*\\*@[^ ]+, table ${schema}\\.trailing_stops does not exist`));
      expectNoPassword(run);
      const found = await pool.query('SELECT to_regnamespace($1) IS NOT NULL AS found', [`"${schema}"`]);
      expect(found.rows[0].found).toBe(false);
    });

    it('runs the reading commands in a read-only session: a read that would write fails', async () => {
      // `trailing_stops` here is a view whose rows can only be read by writing (a logging function):
      // a plain session reads it, the CLI's read-only session must refuse.
      const schema = randomSchemaName();
      try {
        await pool.query(`CREATE SCHEMA "${schema}";
          CREATE TABLE "${schema}".trailing_stops_schema (singleton boolean PRIMARY KEY DEFAULT true, version integer NOT NULL);
          INSERT INTO "${schema}".trailing_stops_schema VALUES (true, 1);
          CREATE TABLE "${schema}".reads (id serial);
          CREATE FUNCTION "${schema}".noted() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
            BEGIN INSERT INTO "${schema}".reads DEFAULT VALUES; RETURN true; END $$;
          CREATE VIEW "${schema}".trailing_stops AS
            SELECT 'BTCUSDT'::text AS key, 1::bigint AS version, 'registry-a'::text AS owner, 'active'::text AS state,
                   NULL::double precision AS lease_expires_at, '{}'::json AS data
            WHERE "${schema}".noted();`);
        expect((await pool.query(`SELECT key FROM "${schema}".trailing_stops`)).rows).toEqual([{ key: 'BTCUSDT' }]);
        for (const command of [['list'], ['export'], ['show', 'BTCUSDT'], ['prune', '--dry-run']]) {
          const run = await cli([...command, '--postgres', databaseUrl!, '--schema', schema]);
          expect(run.code, command[0]).toBe(2);
          expect(run.stderr).toMatch(/cannot execute INSERT in a read-only transaction\n$/);
        }
        expect((await pool.query(`SELECT count(*)::int AS count FROM "${schema}".reads`)).rows).toEqual([{ count: 1 }]);
      } finally {
        await dropSchema(pool, schema);
      }
    });

    it('an unreachable server ends in one line and exit code 2, without the password', async () => {
      const url = new URL(databaseUrl!);
      url.port = '1'; // nothing listens on port 1
      const run = await cli(['list', '--postgres', url.toString()]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^trailing-stop-registry: Cannot connect to postgres:\/\/[^:]+:\*\*\*@[^/]+:1\/\S*: connect ECONNREFUSED [^\n]+\n$/);
      expectNoPassword(run);
    });

    it('a wrong password ends in one line and exit code 2, printing neither password', async () => {
      const url = new URL(databaseUrl!);
      url.password = 'not-the-password-7f3a';
      const run = await cli(['list', '--postgres', url.toString()]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^trailing-stop-registry: Cannot connect to .*: password authentication failed for user "[^"]+"\n$/);
      expect(run.stderr).not.toContain('not-the-password-7f3a');
      expectNoPassword(run);
    });

    it('never prints the password, whatever the command', async () => {
      const schema = randomSchemaName();
      const store = new PostgresStateStore({ client: pool, schema });
      try {
        for (const record of sampleRecords()) await store.insert(record);
        const args = ['--postgres', databaseUrl!, '--schema', schema];
        const exported = await cli(['export', ...args]);
        for (const run of [
          await cli(['list', ...args]),
          await cli(['list', '--json', ...args]),
          await cli(['show', 'BTCUSDT', ...args]),
          await cli(['show', 'NOPE', ...args]),
          await cli(['prune', '--dry-run', ...args]),
          await cli(['import', ...args], { stdin: exported.stdout }),
          exported,
        ]) {
          expectNoPassword(run);
        }
      } finally {
        await dropSchema(pool, schema);
      }
    });
  });
});
