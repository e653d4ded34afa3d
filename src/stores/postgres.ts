/**
 * `PostgresStateStore`: a durable {@link StateStore} that several processes on several machines
 * share, through a `pg` Pool (or anything with `query(text, values)`) the user creates and passes
 * in. PostgreSQL is then the single arbiter between registries: atomic insert-if-absent decides who
 * creates a key, and every update is a compare-and-set on the record's version.
 *
 * This module never imports `pg`: {@link PostgresQueryable} describes the one method the store
 * calls, so the package needs no dependency on it.
 *
 * @packageDocumentation
 */
import type {
  CompareAndSetResult,
  InsertResult,
  StateStore,
  StateStoreCapabilities,
  StopRecord,
  StoreChange,
  StoreWatchOptions,
} from '../ports/state-store.js';
import { StoreError } from '../errors.js';
import { assertRecordShape } from './record-shape.js';
import { assertIdentifier, maximumTableNameLength, quoteIdentifier } from './identifier.js';
import { decodeEncoded, decodeRow, encodeRecord, storeFailure, type StoredRow } from './record-codec.js';
import { assertWatchArguments } from './change-feed.js';
import type { PostgresQueryable } from './postgres-client.js';
import { PostgresWatchers } from './postgres-listening.js';
import { migratePostgresSchema, postgresSchemaVersion } from './postgres-schema.js';
import { changePayload, defaultChannel } from './postgres-watch.js';

export type { PostgresQueryable, PostgresQueryResult } from './postgres-client.js';
export type { PostgresNotification, PostgresPool, PostgresPoolConnection } from './postgres-watch.js';

/** Options of {@link PostgresStateStore}. */
export interface PostgresStateStoreOptions {
  /**
   * A `pg` `Pool` (or `Client`, or anything with the same `query`). The store never ends it: the
   * user who created it ends it, after closing the store.
   */
  readonly client: PostgresQueryable;
  /**
   * Schema holding the tables; created on first use if missing. An SQL identifier (quoted, so
   * case-sensitive). Default: `'public'`.
   */
  readonly schema?: string;
  /**
   * Table holding the records; created on first use, with a one-row `<table>_schema` table beside
   * it that records the schema version. An SQL identifier of at most 56 characters (quoted, so
   * case-sensitive). Default: `'trailing_stops'`.
   */
  readonly table?: string;
  /**
   * The `LISTEN`/`NOTIFY` channel on which every write announces its change and `watch()`
   * listens. An SQL identifier (quoted, so case-sensitive); every process sharing the table must
   * use the same one. Default: the table's name and a hash of `schema.table` (see
   * {@link PostgresStateStore.channel}), unique per table.
   */
  readonly channel?: string;
}

/** Bounds the insert/load loop when the winner keeps being deleted in between. */
const maximumInsertAttempts = 100;

const storeName = 'PostgresStateStore';
const columns = 'key, version, owner, state, lease_expires_at, data::text AS data';

/**
 * A durable {@link StateStore} in PostgreSQL that several processes and machines share.
 *
 * - Creates its schema and table on first use (or when {@link PostgresStateStore.migrate} is
 *   called). Concurrent first starts are safe: the migration is one statement that takes a
 *   transaction-level advisory lock first. Once migrated, startup only reads the version, so a role
 *   with plain `SELECT, INSERT, UPDATE, DELETE` rights can run against tables an admin created.
 * - Insert-if-absent is `INSERT ... ON CONFLICT (key) DO NOTHING`; compare-and-set is
 *   `UPDATE ... WHERE key = $1 AND version = $2`. Every value is a bound parameter; the schema and
 *   table names are validated identifiers, quoted.
 * - Records are stored as JSON text, so every finite number round-trips exactly. `version` is a
 *   `bigint` column and `lease_expires_at` a `double precision` one (ms epoch; it need not be an
 *   integer); both are converted back to JS numbers whatever type parsers `pg` is configured with.
 * - A row whose JSON is not an object is returned with its columns only (`key`, `version`,
 *   `owner`, `state`, `leaseExpiresAt`) instead of failing `list()`; the registry's validation
 *   reports it.
 * - Every write that changes a row also sends `pg_notify(channel, payload)` in the same
 *   statement, so the notification leaves exactly when the change commits; `watch()` `LISTEN`s on
 *   one connection checked out of the pool. See {@link PostgresStateStore.watch}.
 * - `close()` does not end the pool; later calls reject with a `StoreError`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { PostgresStateStore } from 'trailing-stop-registry/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = new PostgresStateStore({ client: pool, schema: 'trading', table: 'trailing_stops' });
 * await store.migrate(); // optional: fail fast at startup
 * const registry = new TrailingStopRegistry({ placer, store, owner: 'bot-1' });
 * // ... on shutdown:
 * await registry.close();
 * await store.close();
 * await pool.end();
 * ```
 */
export class PostgresStateStore implements StateStore {
  /** The schema version this code writes and understands; a newer stored version is refused. */
  static readonly schemaVersion: number = postgresSchemaVersion;

  /**
   * Durable, and shared by every process connected to the same database; watchable when `client`
   * is a pool (has `connect()`).
   */
  readonly capabilities: StateStoreCapabilities;

  /** The schema holding the tables. */
  readonly schema: string;

  /** The table holding the records. */
  readonly table: string;

  /**
   * The `NOTIFY` channel of the table's changes: the `channel` option, or by default the table's
   * name cut to 54 characters, `_` and 8 hex digits of a 32-bit FNV-1a hash of `schema.table`.
   */
  readonly channel: string;

  readonly #client: PostgresQueryable;
  readonly #qualifiedTable: string;
  readonly #watchers: PostgresWatchers;
  #ready: Promise<void> | undefined;
  #migrated = false;
  #closed = false;

  /**
   * Validates the options at once; touches the database only on first use.
   *
   * @throws TypeError when `client` has no `query` method or `schema`, `table` or `channel` is not
   *   a plain SQL identifier.
   */
  constructor(options: PostgresStateStoreOptions) {
    const client = (options as Partial<PostgresStateStoreOptions> | undefined)?.client;
    if (typeof client?.query !== 'function') {
      throw new TypeError(
        `Expected \`client\` to be a pg Pool or Client (with a query method), got \`${String(client)}\` (${typeof client})`,
      );
    }
    const schema = options.schema === undefined ? 'public' : options.schema;
    const table = options.table === undefined ? 'trailing_stops' : options.table;
    assertIdentifier('schema', schema);
    assertIdentifier('table', table, maximumTableNameLength);
    const channel = options.channel === undefined ? defaultChannel(schema, table) : options.channel;
    assertIdentifier('channel', channel);
    this.#client = client;
    this.schema = schema;
    this.table = table;
    this.channel = channel;
    this.capabilities = {
      durable: true,
      shared: true,
      watch: typeof (client as Partial<{ connect: unknown }>).connect === 'function',
    };
    this.#qualifiedTable = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    this.#watchers = new PostgresWatchers(storeName, client, channel);
  }

  /**
   * Creates or upgrades the schema and tables now. Optional: every other method does it on first
   * use. Call it at startup to fail fast. Running it again (from any process) is a no-op.
   *
   * @throws StoreError when the stored schema version is newer than
   *   {@link PostgresStateStore.schemaVersion} (a newer release of this library wrote the table),
   *   or the database fails.
   */
  async migrate(): Promise<void> {
    await this.#open();
  }

  /** @inheritdoc */
  async load(key: string): Promise<StopRecord | undefined> {
    await this.#open();
    try {
      return await this.#loadRow(key);
    } catch (error) {
      throw storeFailure(storeName, 'load', error, key);
    }
  }

  /** @inheritdoc */
  async list(): Promise<StopRecord[]> {
    await this.#open();
    try {
      const result = await this.#client.query(`SELECT ${columns} FROM ${this.#qualifiedTable}`);
      return (result.rows as StoredRow[]).map((row) => decodeRow(row));
    } catch (error) {
      throw storeFailure(storeName, 'list', error);
    }
  }

  /** @inheritdoc */
  async insert(record: StopRecord): Promise<InsertResult> {
    await this.#open();
    assertRecordShape(record);
    const encoded = encodeRecord(record);
    const payload = changePayload(storeName, changeOf(record));
    try {
      // Between the INSERT and the SELECT the winner may be deleted: then try again.
      for (let attempt = 1; attempt <= maximumInsertAttempts; attempt++) {
        // pg_notify in the statement that writes: sent when (and only if) the insert commits.
        const result = await this.#client.query(
          `WITH inserted AS (
             INSERT INTO ${this.#qualifiedTable} (key, version, owner, state, lease_expires_at, data)
             VALUES ($1, $2, $3, $4, $5, $6::json) ON CONFLICT (key) DO NOTHING RETURNING key
           )
           SELECT key, pg_notify($7, $8) AS notified FROM inserted`,
          [encoded.key, encoded.version, encoded.owner, encoded.state, encoded.leaseExpiresAt, encoded.data, this.channel, payload],
        );
        if (result.rows.length === 1) return { inserted: true, record: decodeEncoded(encoded) };
        const winner = await this.#loadRow(encoded.key);
        if (winner !== undefined) return { inserted: false, record: winner };
      }
    } catch (error) {
      throw storeFailure(storeName, 'insert', error, record.key);
    }
    throw new StoreError(
      `${storeName}.insert for key \`${record.key}\` lost ${maximumInsertAttempts} times to records deleted at once`,
      { key: record.key },
    );
  }

  /** @inheritdoc */
  async compareAndSet(next: StopRecord, expectedVersion: number): Promise<CompareAndSetResult> {
    await this.#open();
    assertRecordShape(next, expectedVersion);
    const encoded = encodeRecord(next);
    const payload = changePayload(storeName, changeOf(next));
    try {
      const result = await this.#client.query(
        `WITH updated AS (
           UPDATE ${this.#qualifiedTable}
           SET version = $3, owner = $4, state = $5, lease_expires_at = $6, data = $7::json
           WHERE key = $1 AND version = $2 RETURNING key
         )
         SELECT key, pg_notify($8, $9) AS notified FROM updated`,
        [
          encoded.key,
          expectedVersion,
          encoded.version,
          encoded.owner,
          encoded.state,
          encoded.leaseExpiresAt,
          encoded.data,
          this.channel,
          payload,
        ],
      );
      if (result.rows.length === 1) return { updated: true, record: decodeEncoded(encoded) };
      return { updated: false, current: await this.#loadRow(encoded.key) };
    } catch (error) {
      throw storeFailure(storeName, 'compareAndSet', error, next.key);
    }
  }

  /** @inheritdoc */
  async delete(key: string, expectedVersion?: number): Promise<boolean> {
    await this.#open();
    const payload = changePayload(storeName, { key, version: null, state: null });
    try {
      const result =
        expectedVersion === undefined
          ? await this.#client.query(
              `WITH deleted AS (DELETE FROM ${this.#qualifiedTable} WHERE key = $1 RETURNING key)
               SELECT key, pg_notify($2, $3) AS notified FROM deleted`,
              [key, this.channel, payload],
            )
          : await this.#client.query(
              `WITH deleted AS (DELETE FROM ${this.#qualifiedTable} WHERE key = $1 AND version = $2 RETURNING key)
               SELECT key, pg_notify($3, $4) AS notified FROM deleted`,
              [key, expectedVersion, this.channel, payload],
            );
      return result.rows.length === 1;
    } catch (error) {
      throw storeFailure(storeName, 'delete', error, key);
    }
  }

  /**
   * Reports changes to the table with the contract of {@link StateStore.watch}, through
   * PostgreSQL's `LISTEN`/`NOTIFY`; resolves once `LISTEN` is in effect.
   *
   * - Needs `client` to be a pg `Pool` ({@link PostgresPool}): the first watch of this store
   *   checks one connection out with `connect()` and `LISTEN`s on {@link PostgresStateStore.channel};
   *   every further watch of the store shares it. When the last watch ends (its signal aborts, or
   *   `close()`), the store `UNLISTEN`s and releases the connection (destroying it if `UNLISTEN`
   *   fails). Size the pool for it, and end watches before `pool.end()`, which waits for it.
   * - Every write of every `PostgresStateStore` on the table (any process, any machine, the
   *   command-line tool too) announces its change from the statement that makes it, so a
   *   notification is sent exactly when the change commits. PostgreSQL delivers notifications in
   *   commit order, so for one key they arrive in version order, own writes included, after the
   *   writer's statement returned or shortly before (they travel on another connection).
   * - A payload carries `key`, `version`, `state`, `positionId` and `owner` as JSON; when that would
   *   exceed NOTIFY's 8000-byte limit, only `key`, `version` and `state` (a key too long even for
   *   that is refused by the write, before any I/O). Notifications on the channel that this store
   *   did not send are ignored.
   * - When the listening connection breaks, every watch ends with `onError` (a `StoreError`);
   *   changes committed meanwhile are not reported: watch again, then re-read.
   *
   * @throws TypeError for a listener that is not a function or a missing signal (before any I/O).
   * @throws StoreError once closed, when `client` is not a pool, or connecting or `LISTEN` fails.
   */
  async watch(listener: (change: StoreChange) => void, options: StoreWatchOptions): Promise<void> {
    assertWatchArguments(listener, options);
    if (this.#closed) throw new StoreError(`${storeName} (table \`${this.schema}.${this.table}\`) is closed`);
    if (options.signal.aborted) return;
    await this.#watchers.watch(listener, options);
  }

  /**
   * Marks the store closed: later calls reject with a `StoreError`; queries already sent finish.
   * Ends every watch and waits until the listening connection went back to the pool. Does not
   * end the pool or client the user passed in; end it yourself afterwards. Calling it again does
   * nothing.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#watchers.close();
  }

  async #loadRow(key: string): Promise<StopRecord | undefined> {
    const result = await this.#client.query(`SELECT ${columns} FROM ${this.#qualifiedTable} WHERE key = $1`, [key]);
    const row = result.rows[0] as StoredRow | undefined;
    return row === undefined ? undefined : decodeRow(row);
  }

  /** Rejects once closed; on first use, runs (or joins) the migration. */
  async #open(): Promise<void> {
    if (this.#closed) throw new StoreError(`${storeName} (table \`${this.schema}.${this.table}\`) is closed`);
    if (this.#migrated) return;
    // Single flight: concurrent first calls share one migration; a failed one is not cached.
    let ready = this.#ready;
    if (ready === undefined) {
      ready = migratePostgresSchema(this.#client, { schema: this.schema, table: this.table }, storeName);
      this.#ready = ready;
      ready.then(
        () => {
          this.#migrated = true;
        },
        () => {
          if (this.#ready === ready) this.#ready = undefined;
        },
      );
    }
    await ready;
    if (this.#closed) throw new StoreError(`${storeName} (table \`${this.schema}.${this.table}\`) is closed`);
  }
}

/** What the notification of `record`'s write announces. */
function changeOf(record: StopRecord): StoreChange {
  return {
    key: record.key,
    version: record.version,
    state: record.state,
    ...(typeof record.positionId === 'string' ? { positionId: record.positionId } : {}),
    owner: record.owner,
  };
}
