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
import { assertIdentifier, maximumTableNameLength, quoteIdentifier, schemaTableSuffix } from './identifier.js';
import { decodeEncoded, decodeRow, encodeRecord, storeFailure, toNumber, type StoredRow } from './record-codec.js';
import { assertWatchArguments, ChangeFeed } from './change-feed.js';
import { changePayload, defaultChannel, PostgresListenSession } from './postgres-watch.js';

export type { PostgresNotification, PostgresPool, PostgresPoolConnection } from './postgres-watch.js';

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
  static readonly schemaVersion: number = migrations.at(-1)?.version ?? 0;

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
  readonly #qualifiedSchemaTable: string;
  readonly #feed = new ChangeFeed(() => this.#endSession());
  /** The listening session of the current watches, while one is opening or open. */
  #session: Promise<PostgresListenSession> | undefined;
  /** Sessions being ended (`UNLISTEN`, release); `close()` waits for them. */
  readonly #endings = new Set<Promise<void>>();
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
    this.#qualifiedSchemaTable = `${quoteIdentifier(schema)}.${quoteIdentifier(`${table}${schemaTableSuffix}`)}`;
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
    // Subscribe first: a notification that arrives while LISTEN completes reaches this watch too.
    this.#feed.subscribe(listener, options);
    try {
      await this.#listening();
    } catch (error) {
      this.#feed.unsubscribe(options.signal);
      throw storeFailure(storeName, 'watch', error);
    }
  }

  /**
   * Marks the store closed: later calls reject with a `StoreError`; queries already sent finish.
   * Ends every watch and waits until the listening connection went back to the pool. Does not
   * end the pool or client the user passed in; end it yourself afterwards. Calling it again does
   * nothing.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#feed.clear();
    await Promise.all([...this.#endings]);
  }

  /** The session of the current watches: joins the one opening or open, else opens one. */
  #listening(): Promise<PostgresListenSession> {
    let session = this.#session;
    if (session === undefined) {
      const opening = PostgresListenSession.open(storeName, this.#client, this.channel, {
        onChange: (change) => this.#feed.publish(change),
        onLost: (error) => {
          if (this.#session === opening) this.#session = undefined;
          this.#feed.fail(
            new StoreError(`${storeName}.watch lost its listening connection; the watch ended: ${messageOf(error)}`, { cause: error }),
          );
        },
      });
      session = opening;
      this.#session = opening;
      // A failed opening is not kept: the next watch tries again.
      opening.catch(() => {
        if (this.#session === opening) this.#session = undefined;
      });
    }
    return session;
  }

  /** The last watch ended: stop listening once the session is open (or opening failed). */
  #endSession(): void {
    const session = this.#session;
    if (session === undefined) return;
    this.#session = undefined;
    const ending = session
      .then(
        (open) => open.end(),
        () => undefined,
      )
      .catch(() => undefined);
    this.#endings.add(ending);
    void ending.then(() => this.#endings.delete(ending));
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
      ready = this.#migrateSchema();
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

  async #migrateSchema(): Promise<void> {
    // Fast path: an up-to-date table needs no DDL (and no CREATE privilege).
    let stored = await this.#readSchemaVersion().catch(() => undefined);
    if (stored === PostgresStateStore.schemaVersion) return;
    if (stored !== undefined) this.#assertKnownVersion(stored);
    try {
      await this.#client.query(this.#migrationStatement());
      stored = await this.#readSchemaVersion();
    } catch (error) {
      throw storeFailure(storeName, 'migrate', error);
    }
    if (stored === undefined) {
      throw new StoreError(`${storeName}: table \`${this.schema}.${this.table}${schemaTableSuffix}\` has no version row after migrating`);
    }
    this.#assertKnownVersion(stored);
  }

  /**
   * The whole migration as ONE statement (a DO block), because `query()` may use a different
   * pooled connection per call and so cannot hold a transaction open. One statement is one
   * transaction: it either applies completely or not at all, and a failure leaves no connection in
   * an aborted transaction. The advisory lock, held until the statement ends, makes concurrent
   * first starts run one after the other; each later one sees the work done and skips it.
   * Identifiers were validated at construction, so interpolating them is safe.
   */
  #migrationStatement(): string {
    const schemaTable = this.#qualifiedSchemaTable;
    const steps = migrations
      .map(
        (migration) => `
  IF (SELECT version FROM ${schemaTable}) < ${migration.version} THEN
    ${migration.sql(this.#qualifiedTable)}
    UPDATE ${schemaTable} SET version = ${migration.version};
  END IF;`,
      )
      .join('');
    // to_regnamespace/to_regclass check existence first: CREATE ... IF NOT EXISTS would demand the
    // CREATE privilege even when nothing needs creating.
    return `DO $migration$
BEGIN
  PERFORM pg_advisory_xact_lock(${migrationLockKey});
  IF to_regnamespace('${quoteIdentifier(this.schema)}') IS NULL THEN
    CREATE SCHEMA ${quoteIdentifier(this.schema)};
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
  async #readSchemaVersion(): Promise<number | undefined> {
    const result = await this.#client.query(`SELECT version FROM ${this.#qualifiedSchemaTable}`);
    const row = result.rows[0] as { version: unknown } | undefined;
    return row === undefined ? undefined : toNumber(row.version);
  }

  #assertKnownVersion(stored: number): void {
    const known = PostgresStateStore.schemaVersion;
    if (stored > known) {
      throw new StoreError(
        `Table \`${this.schema}.${this.table}\` has schema version ${stored}, but this release of ` +
          `trailing-stop-registry knows schema version ${known} at most; upgrade trailing-stop-registry to use this database`,
      );
    }
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
