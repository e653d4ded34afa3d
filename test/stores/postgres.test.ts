import pg from 'pg';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it, vi } from 'vitest';
import { PostgresStateStore, type PostgresQueryable } from '../../src/stores/postgres.js';
import type { StoreChange } from '../../src/ports/state-store.js';
import type { StoreError } from '../../src/errors.js';
import { describeStateStore, makeStopRecord } from '../../src/testing/index.js';
import { createPool, dropSchema, postgresAvailable, randomSchemaName, reportMissingPostgres } from '../support/postgres.js';

reportMissingPostgres();

describe.runIf(postgresAvailable)('PostgreSQL', () => {
  let pool: pg.Pool;
  /** A second pool on the same database: another process's connections. */
  let secondPool: pg.Pool;
  beforeAll(() => {
    pool = createPool();
    secondPool = createPool({ max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await secondPool.end();
  });

  // Each conformance test gets its own schema, dropped afterwards.
  describeStateStore('PostgresStateStore', async () => {
    const schema = randomSchemaName();
    return {
      store: new PostgresStateStore({ client: pool, schema }),
      reopen: async () => new PostgresStateStore({ client: pool, schema }),
      openSecondConnection: async () => new PostgresStateStore({ client: secondPool, schema }),
      cleanup: () => dropSchema(pool, schema),
    };
  }, { durable: true, shared: true, watch: true });

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
      expect(new PostgresStateStore({ client: pool, schema }).capabilities).toEqual({ durable: true, shared: true, watch: true });
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

    describe('watch', () => {
      let controller: AbortController;
      beforeEach(() => {
        controller = new AbortController();
      });
      afterEach(() => {
        controller.abort();
      });

      /** Watches `store`, recording what it hears. */
      async function watch(store: PostgresStateStore): Promise<{ changes: StoreChange[]; errors: StoreError[] }> {
        const heard = { changes: [] as StoreChange[], errors: [] as StoreError[] };
        await store.watch((change) => heard.changes.push(change), {
          signal: controller.signal,
          onError: (error) => heard.errors.push(error),
        });
        return heard;
      }

      /** Waits (up to 10 s) until `key` was heard; notifications travel on another connection. */
      async function heardKey(heard: { changes: StoreChange[] }, key: string): Promise<void> {
        await vi.waitFor(() => expect(heard.changes.map((change) => change.key)).toContain(key), { timeout: 10_000, interval: 5 });
      }

      /** The channels the server's sessions listen on (pg_listening_channels is per session). */
      async function listeningSessions(channel: string): Promise<number> {
        const rows = await query(
          `SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND query = $1`,
          [`LISTEN "${channel}"`],
        );
        return (rows[0] as { count: number }).count;
      }

      it('names its channel after the table and a hash of schema and table, or the channel option', () => {
        const store = new PostgresStateStore({ client: pool, schema });
        expect(store.channel).toMatch(/^trailing_stops_[0-9a-f]{8}$/);
        expect(new PostgresStateStore({ client: pool, schema }).channel).toBe(store.channel);
        expect(new PostgresStateStore({ client: pool, schema: `${schema}x` }).channel).not.toBe(store.channel);
        expect(new PostgresStateStore({ client: pool, schema, table: 't'.repeat(56) }).channel).toMatch(/^t{54}_[0-9a-f]{8}$/);
        expect(new PostgresStateStore({ client: pool, schema, channel: 'Stop_Changes' }).channel).toBe('Stop_Changes');
      });

      it.each(['', 'bad-name', 'a b', '"x"', 'a'.repeat(64)])('rejects the channel %j with a TypeError naming it', (channel) => {
        expect(() => new PostgresStateStore({ client: pool, schema, channel })).toThrow(
          new RegExp(`Expected \`channel\` to be an SQL identifier.*got \`${escapeRegExp(channel)}\``),
        );
      });

      it('reports what another pool writes, with positionId and owner', async () => {
        const watching = new PostgresStateStore({ client: pool, schema });
        const writing = new PostgresStateStore({ client: secondPool, schema });
        const heard = await watch(watching);
        await writing.insert(makeStopRecord({ key: 'K', positionId: 'position-9', owner: 'registry-b', state: 'pending' }));
        await heardKey(heard, 'K');
        expect(heard.changes).toEqual([{ key: 'K', version: 1, state: 'pending', positionId: 'position-9', owner: 'registry-b' }]);
      });

      it('the notification leaves with the commit: none for a rolled-back write, none before the commit', async () => {
        const watching = new PostgresStateStore({ client: pool, schema });
        await watching.migrate();
        const heard = await watch(watching);
        const connection = await secondPool.connect();
        try {
          const inTransaction = new PostgresStateStore({ client: connection, schema });
          await connection.query('BEGIN');
          await inTransaction.insert(makeStopRecord({ key: 'rolled-back' }));
          await connection.query('ROLLBACK');
          await connection.query('BEGIN');
          await inTransaction.insert(makeStopRecord({ key: 'committed' }));
          // Written (autocommit) after the insert above, but committed before it.
          await watching.insert(makeStopRecord({ key: 'sentinel-1' }));
          await heardKey(heard, 'sentinel-1');
          expect(heard.changes.map((change) => change.key)).toEqual(['sentinel-1']);
          await connection.query('COMMIT');
          await heardKey(heard, 'committed');
          await watching.insert(makeStopRecord({ key: 'sentinel-2' }));
          await heardKey(heard, 'sentinel-2');
          expect(heard.changes.map((change) => change.key)).toEqual(['sentinel-1', 'committed', 'sentinel-2']);
        } finally {
          connection.release();
        }
      });

      it('one listening connection per store, whatever the number of watches; released when the last ends', async () => {
        const store = new PostgresStateStore({ client: pool, schema });
        const first = new AbortController();
        const second = new AbortController();
        await store.watch(() => undefined, { signal: first.signal });
        await store.watch(() => undefined, { signal: second.signal });
        await expect(listeningSessions(store.channel)).resolves.toBe(1);
        first.abort();
        second.abort();
        // UNLISTEN, then back to the pool: the session's last statement becomes UNLISTEN. Observed
        // from a pool of its own, so the released connection runs nothing else meanwhile.
        const observer = createPool({ max: 1 });
        try {
          const count = async (statement: string) =>
            ((await observer.query(`SELECT count(*)::int AS count FROM pg_stat_activity WHERE query = $1`, [statement])).rows[0] as { count: number }).count;
          await vi.waitFor(async () => expect(await count(`LISTEN "${store.channel}"`)).toBe(0), { timeout: 10_000, interval: 10 });
          expect(await count(`UNLISTEN "${store.channel}"`)).toBe(1);
        } finally {
          await observer.end();
        }
      });

      it('the released connection no longer listens', async () => {
        const single = createPool({ max: 1 });
        const store = new PostgresStateStore({ client: single, schema });
        try {
          const watchController = new AbortController();
          await store.watch(() => undefined, { signal: watchController.signal });
          expect(single.idleCount).toBe(0);
          watchController.abort();
          await store.close();
          expect(single.totalCount).toBe(1);
          // The pool's only connection is the one that listened.
          await expect(single.query('SELECT pg_listening_channels() AS channel')).resolves.toMatchObject({ rows: [] });
        } finally {
          // A store left watching would hold the connection, and pool.end() would wait for it.
          await store.close();
          await single.end();
        }
      });

      it('close() ends every watch and gives the listening connection back before it resolves', async () => {
        const single = createPool({ max: 1 });
        const store = new PostgresStateStore({ client: single, schema });
        try {
          const errors: StoreError[] = [];
          await store.watch(() => undefined, { signal: controller.signal, onError: (error) => errors.push(error) });
          await store.close();
          expect(single.idleCount).toBe(1);
          expect(errors).toEqual([]);
        } finally {
          await store.close();
          await single.end();
        }
      });

      it('tables of the same name in two schemas do not hear each other', async () => {
        const otherSchema = randomSchemaName();
        try {
          const here = new PostgresStateStore({ client: pool, schema });
          const there = new PostgresStateStore({ client: pool, schema: otherSchema });
          const heard = await watch(here);
          await there.insert(makeStopRecord({ key: 'elsewhere' }));
          await here.insert(makeStopRecord({ key: 'sentinel' }));
          await heardKey(heard, 'sentinel');
          expect(heard.changes.map((change) => change.key)).toEqual(['sentinel']);
        } finally {
          await dropSchema(pool, otherSchema);
        }
      });

      it('ignores notifications on its channel that no store sent', async () => {
        const store = new PostgresStateStore({ client: pool, schema });
        const heard = await watch(store);
        for (const payload of ['not json', '42', '{"key":1,"version":1,"state":"active"}', '{"key":"K","version":1.5,"state":"active"}', '{"key":"K","version":null,"state":"active"}']) {
          await query('SELECT pg_notify($1, $2)', [store.channel, payload]);
        }
        await store.insert(makeStopRecord({ key: 'sentinel' }));
        await heardKey(heard, 'sentinel');
        expect(heard.changes.map((change) => change.key)).toEqual(['sentinel']);
        expect(heard.errors).toEqual([]);
      });

      it('ignores other channels a pooled connection still listens on (a user LISTEN left behind)', async () => {
        const single = createPool({ max: 1 });
        const store = new PostgresStateStore({ client: single, schema });
        try {
          const leftBehind = await single.connect();
          await leftBehind.query('LISTEN user_channel');
          leftBehind.release();
          const heard = await watch(store);
          await query(`SELECT pg_notify('user_channel', $1)`, [JSON.stringify({ key: 'foreign', version: 1, state: 'active' })]);
          // The watch holds the small pool's only connection: write through the other pool.
          await new PostgresStateStore({ client: pool, schema }).insert(makeStopRecord({ key: 'sentinel' }));
          await heardKey(heard, 'sentinel');
          expect(heard.changes.map((change) => change.key)).toEqual(['sentinel']);
        } finally {
          await store.close();
          await single.end();
        }
      });

      it('when the listening connection breaks, every watch ends with onError, and a new watch works', async () => {
        const store = new PostgresStateStore({ client: pool, schema });
        const first = await watch(store);
        const second = await watch(store);
        const killed = await query(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database() AND query = $1`,
          [`LISTEN "${store.channel}"`],
        );
        expect(killed).toEqual([{ killed: true }]);
        await vi.waitFor(() => expect(first.errors.length + second.errors.length).toBe(2), { timeout: 10_000, interval: 10 });
        expect(first.errors[0]).toMatchObject({ code: 'ERR_STORE_FAILED', message: expect.stringContaining('lost its listening connection') });
        const again = await watch(store);
        await store.insert(makeStopRecord({ key: 'after' }));
        await heardKey(again, 'after');
        expect(first.changes).toEqual([]);
        expect([first.errors, second.errors].map((errors) => errors.length)).toEqual([1, 1]);
      });

      it('leaves positionId and owner out of a payload too large for NOTIFY, and refuses a key too long for any', async () => {
        const store = new PostgresStateStore({ client: pool, schema });
        const heard = await watch(store);
        await store.insert(makeStopRecord({ key: 'K', owner: 'o'.repeat(8_000) }));
        await heardKey(heard, 'K');
        expect(heard.changes).toEqual([{ key: 'K', version: 1, state: 'active' }]);
        const longKey = 'k'.repeat(8_000);
        await expect(store.insert(makeStopRecord({ key: longKey }))).rejects.toMatchObject({
          code: 'ERR_STORE_FAILED',
          message: expect.stringContaining('too long for a change notification'),
        });
        await expect(query(`SELECT count(*)::int AS count FROM "${schema}".trailing_stops`)).resolves.toEqual([{ count: 1 }]);
      });

      it('needs a pool: over a client without connect() it declares no watch and refuses one', async () => {
        const bare: PostgresQueryable = { query: (text, values) => pool.query(text, values) };
        const store = new PostgresStateStore({ client: bare, schema });
        expect(store.capabilities.watch).toBe(false);
        await expect(store.watch(() => undefined, { signal: controller.signal })).rejects.toMatchObject({
          code: 'ERR_STORE_FAILED',
          message: expect.stringContaining('needs `client` to be a pg Pool'),
        });
      });
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
