import pg from 'pg';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { PostgresStateStore, type PostgresQueryable } from '../../src/stores/postgres.js';
import { describeStateStore, makeStopRecord } from '../../src/testing/index.js';
import { createPool, dropSchema, postgresAvailable, randomSchemaName, reportMissingPostgres } from '../support/postgres.js';

reportMissingPostgres();

describe.runIf(postgresAvailable)('PostgreSQL', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = createPool();
  });
  afterAll(async () => {
    await pool.end();
  });

  // Each conformance test gets its own schema, dropped afterwards.
  describeStateStore('PostgresStateStore', async () => {
    const schema = randomSchemaName();
    return {
      store: new PostgresStateStore({ client: pool, schema }),
      reopen: async () => new PostgresStateStore({ client: pool, schema }),
      cleanup: () => dropSchema(pool, schema),
    };
  }, { durable: true, shared: true });

  describe('PostgresStateStore', () => {
    let schema: string;
    beforeEach(() => {
      schema = randomSchemaName();
    });
    afterEach(async () => {
      await dropSchema(pool, schema);
    });

    async function query(text: string, values: unknown[] = []): Promise<unknown[]> {
      return (await pool.query(text, values)).rows;
    }

    it('declares itself durable and shared', () => {
      expect(new PostgresStateStore({ client: pool, schema }).capabilities).toEqual({ durable: true, shared: true });
    });

    it('creates the schema and its tables on first use, recording schema version 1', async () => {
      const store = new PostgresStateStore({ client: pool, schema, table: 'Stops' });
      await store.list();
      expect(PostgresStateStore.schemaVersion).toBe(1);
      await expect(query(`SELECT singleton, version FROM "${schema}"."Stops_schema"`)).resolves.toEqual([
        { singleton: true, version: 1 },
      ]);
      await expect(query(`SELECT count(*)::int AS count FROM "${schema}"."Stops"`)).resolves.toEqual([{ count: 0 }]);
    });

    it('uses the public schema and the trailing_stops table by default', () => {
      const store = new PostgresStateStore({ client: pool });
      expect([store.schema, store.table]).toEqual(['public', 'trailing_stops']);
    });

    it('a second start is a no-op that keeps the records (one read, no DDL)', async () => {
      const record = makeStopRecord({ key: 'K' });
      await new PostgresStateStore({ client: pool, schema }).insert(record);
      const statements: string[] = [];
      const recording: PostgresQueryable = {
        query: (text, values) => {
          statements.push(text);
          return pool.query(text, values);
        },
      };
      const second = new PostgresStateStore({ client: recording, schema });
      await second.migrate();
      await second.migrate();
      await expect(second.load('K')).resolves.toEqual(record);
      expect(statements).toHaveLength(2);
      expect(statements[0]).toMatch(/^SELECT version FROM/);
      await expect(query(`SELECT version FROM "${schema}".trailing_stops_schema`)).resolves.toEqual([{ version: 1 }]);
    });

    it('concurrent first starts from several clients migrate once, without errors', async () => {
      // Separate pools stand in for separate processes.
      const pools = Array.from({ length: 5 }, () => createPool({ max: 2 }));
      try {
        const stores = pools.map((each) => new PostgresStateStore({ client: each, schema }));
        await Promise.all(stores.map((store) => store.migrate()));
        const results = await Promise.all(stores.map((store, index) => store.insert(makeStopRecord({ key: 'K', owner: `p${index}` }))));
        expect(results.filter((result) => result.inserted)).toHaveLength(1);
        await expect(query(`SELECT version FROM "${schema}".trailing_stops_schema`)).resolves.toEqual([{ version: 1 }]);
      } finally {
        await Promise.all(pools.map((each) => each.end()));
      }
    });

    it('refuses a table written with a newer schema version, naming both versions', async () => {
      await new PostgresStateStore({ client: pool, schema }).migrate();
      await query(`UPDATE "${schema}".trailing_stops_schema SET version = 2`);
      const store = new PostgresStateStore({ client: pool, schema });
      await expect(store.migrate()).rejects.toMatchObject({
        code: 'ERR_STORE_FAILED',
        message: expect.stringMatching(/schema version 2.*schema version 1/),
      });
      await expect(store.list()).rejects.toMatchObject({ code: 'ERR_STORE_FAILED' });
    });

    it('keeps two tables in one schema apart', async () => {
      const first = new PostgresStateStore({ client: pool, schema, table: 'first' });
      const second = new PostgresStateStore({ client: pool, schema, table: 'second' });
      await first.insert(makeStopRecord({ key: 'K' }));
      await expect(second.load('K')).resolves.toBeUndefined();
    });

    it.each(['', '1stops', 'stops; DROP TABLE x', 'stops-1', 'st"ops', 'a'.repeat(57), null])(
      'rejects the table name %j with a TypeError naming it',
      (table) => {
        expect(() => new PostgresStateStore({ client: pool, table: table as string })).toThrow(
          new RegExp(`Expected \`table\` to be an SQL identifier.*got \`${escapeRegExp(String(table))}\``),
        );
      },
    );

    it.each(['', 'public.x', 'my schema', 'a'.repeat(64)])('rejects the schema name %j with a TypeError naming it', (name) => {
      expect(() => new PostgresStateStore({ client: pool, schema: name })).toThrow(
        new RegExp(`Expected \`schema\` to be an SQL identifier.*got \`${escapeRegExp(name)}\``),
      );
    });

    it('accepts a 63-character schema and a 56-character table', async () => {
      const longSchema = `${schema}_${'s'.repeat(63 - schema.length - 1)}`;
      const store = new PostgresStateStore({ client: pool, schema: longSchema, table: 't'.repeat(56) });
      try {
        await store.insert(makeStopRecord({ key: 'K' }));
        await expect(store.list()).resolves.toHaveLength(1);
      } finally {
        await dropSchema(pool, longSchema);
      }
    });

    it('rejects a client without query()', () => {
      expect(() => new PostgresStateStore({ client: {} as never })).toThrow(TypeError);
    });

    it('binds values as parameters: keys full of SQL stay plain data', async () => {
      const store = new PostgresStateStore({ client: pool, schema });
      const key = `K'); DROP TABLE "${schema}".trailing_stops; --`;
      const record = makeStopRecord({ key, owner: "o'wner", positionId: '\\"$1' });
      await store.insert(record);
      await expect(store.load(key)).resolves.toEqual(record);
    });

    it('close() leaves the pool usable', async () => {
      const store = new PostgresStateStore({ client: pool, schema });
      await store.list();
      await store.close();
      await expect(query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    });

    it('returns a row whose JSON is not an object with its columns only, without failing list()', async () => {
      const store = new PostgresStateStore({ client: pool, schema });
      const good = makeStopRecord({ key: 'good' });
      await store.insert(good);
      await store.insert(makeStopRecord({ key: 'bad', state: 'pending', leaseExpiresAt: 5_000.5, version: 3 }));
      await query(`UPDATE "${schema}".trailing_stops SET data = '"not an object"' WHERE key = 'bad'`);
      const damaged = { key: 'bad', version: 3, owner: 'registry-a', state: 'pending', leaseExpiresAt: 5_000.5 };
      const listed = await store.list();
      expect(listed).toHaveLength(2);
      expect(listed).toContainEqual(good);
      expect(listed).toContainEqual(damaged);
    });

    it('wraps database failures in a StoreError that keeps the cause', async () => {
      const failing: PostgresQueryable = {
        query: async () => {
          throw new Error('connection refused');
        },
      };
      const store = new PostgresStateStore({ client: failing, schema });
      const error = await store.load('K').catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'ERR_STORE_FAILED', message: expect.stringContaining('connection refused') });
      expect((error as Error).cause).toBeInstanceOf(Error);
    });

    it('stores version as bigint and reads it back as a number', async () => {
      const store = new PostgresStateStore({ client: pool, schema });
      const record = makeStopRecord({ key: 'K', version: 2 ** 40 });
      await store.insert(record);
      await expect(store.load('K')).resolves.toEqual(record);
      await expect(store.compareAndSet({ ...record, version: 2 ** 40 + 1 }, 2 ** 40)).resolves.toMatchObject({ updated: true });
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
