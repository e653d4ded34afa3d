/**
 * How `PostgresStateStore.watch` learns of changes: every write statement of the store also calls
 * `pg_notify(channel, payload)` for the row it changed, in the same statement (so the same
 * transaction: the notification is sent when the change commits, never for a change that rolled
 * back), and a watching store `LISTEN`s on the channel through one connection it checks out of the
 * user's pool. This module holds the channel name, the payload format and that listening session.
 */
import type { StoreChange, StopState } from '../ports/state-store.js';
import { StoreError } from '../errors.js';
import { quoteIdentifier } from './identifier.js';

/** A notification as pg's `Client` emits it (`'notification'` event). */
export interface PostgresNotification {
  /** The channel it was sent on. */
  readonly channel: string;
  /** The payload text. */
  readonly payload?: string | undefined;
}

/**
 * A connection checked out of a pool: the subset of pg's `PoolClient` that `watch()` uses. It
 * `LISTEN`s on it, hears `'notification'`, `'error'` and `'end'`, and gives it back with `release()`.
 */
export interface PostgresPoolConnection {
  /** Runs one statement (here only `LISTEN` and `UNLISTEN`). */
  query(text: string): Promise<unknown>;
  /** Adds an event listener (pg's clients are EventEmitters). */
  on(event: 'notification' | 'error' | 'end', listener: (...arguments_: never[]) => void): unknown;
  /** Removes an event listener. */
  removeListener(event: 'notification' | 'error' | 'end', listener: (...arguments_: never[]) => void): unknown;
  /** Gives the connection back to the pool; with an error (or `true`), the pool destroys it instead. */
  release(error?: Error | boolean): void;
}

/** A pool `watch()` can check a connection out of: pg's `Pool`. */
export interface PostgresPool {
  /** Checks out one connection; the store releases it when its last watch ends. */
  connect(): Promise<PostgresPoolConnection>;
}

/** NOTIFY's payload must be shorter than 8000 bytes (in the default configuration). */
export const maximumPayloadBytes = 7999;

/**
 * The default channel of a table: the table's name (cut to 54 characters) and 8 hex digits of a
 * hash of `schema.table`, so tables of the same name in different schemas never share a channel,
 * and every process computes the same name. Always a plain SQL identifier of at most 63 characters.
 */
export function defaultChannel(schema: string, table: string): string {
  let hash = 0x811c9dc5;
  const text = `${schema}.${table}`;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return `${table.slice(0, 54)}_${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The payload announcing `change`: JSON with the fields of {@link StoreChange}. When it would not
 * fit NOTIFY's limit, the optional `positionId` and `owner` are left out; when even the key, version
 * and state do not fit, the write is refused (before any I/O) with a {@link StoreError}.
 */
export function changePayload(storeName: string, change: StoreChange): string {
  const full = JSON.stringify(change);
  if (fits(full)) return full;
  const minimal = JSON.stringify({ key: change.key, version: change.version, state: change.state });
  if (fits(minimal)) return minimal;
  const shown = change.key.length > 40 ? `${change.key.slice(0, 40)}...` : change.key;
  throw new StoreError(
    `${storeName}: key \`${shown}\` (${change.key.length} characters) is too long for a change notification: ` +
      `NOTIFY payloads hold at most ${maximumPayloadBytes} bytes`,
    { key: change.key },
  );
}

function fits(payload: string): boolean {
  // A UTF-16 code unit takes at most 3 bytes in UTF-8: skip the encoding for short payloads.
  return payload.length * 3 <= maximumPayloadBytes || new TextEncoder().encode(payload).length <= maximumPayloadBytes;
}

/** The change a payload announces, or `undefined` for a payload this store did not send. */
export function decodeChangePayload(payload: string | undefined): StoreChange | undefined {
  if (typeof payload !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { key, version, state, positionId, owner } = parsed as Record<string, unknown>;
  if (typeof key !== 'string') return undefined;
  if (version === null && state === null) return { key, version: null, state: null };
  if (!Number.isSafeInteger(version) || typeof state !== 'string') return undefined;
  return {
    key,
    version: version as number,
    state: state as StopState,
    ...(typeof positionId === 'string' ? { positionId } : {}),
    ...(typeof owner === 'string' ? { owner } : {}),
  };
}

/** What a session tells its store. */
export interface ListenHandlers {
  /** A change arrived on the channel. */
  readonly onChange: (change: StoreChange) => void;
  /** The connection broke after `LISTEN` succeeded; the session has ended and released it. */
  readonly onLost: (error: unknown) => void;
}

/** One connection, checked out of the user's pool, that `LISTEN`s on one channel. */
export class PostgresListenSession {
  readonly #connection: PostgresPoolConnection;
  readonly #channel: string;
  readonly #handlers: ListenHandlers;
  #established = false;
  #ended = false;

  private constructor(connection: PostgresPoolConnection, channel: string, handlers: ListenHandlers) {
    this.#connection = connection;
    this.#channel = channel;
    this.#handlers = handlers;
  }

  /**
   * Checks a connection out of `pool` and `LISTEN`s on `channel` (a validated identifier). A
   * notification that arrives while `LISTEN` completes is already handed to `onChange`.
   *
   * @throws StoreError when `pool` is not a pool, or connecting or `LISTEN` fails (the connection
   *   is then destroyed, never given back still listening).
   */
  static async open(storeName: string, pool: unknown, channel: string, handlers: ListenHandlers): Promise<PostgresListenSession> {
    if (typeof (pool as Partial<PostgresPool> | null)?.connect !== 'function') {
      throw new StoreError(
        `${storeName}.watch needs \`client\` to be a pg Pool: it checks one connection out with connect() to LISTEN on`,
      );
    }
    let connection: unknown;
    try {
      connection = await (pool as PostgresPool).connect();
    } catch (error) {
      throw new StoreError(`${storeName}.watch could not check a connection out of the pool: ${messageOf(error)}`, { cause: error });
    }
    if (!isPoolConnection(connection)) {
      throw new StoreError(
        `${storeName}.watch needs \`client\` to be a pg Pool: its connect() must resolve to a pooled client with query, on and release`,
      );
    }
    const session = new PostgresListenSession(connection, channel, handlers);
    connection.on('notification', session.#onNotification);
    connection.on('error', session.#onError);
    connection.on('end', session.#onEnd);
    try {
      await connection.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (error) {
      session.#ended = true;
      session.#detach(false);
      connection.release(error instanceof Error ? error : true);
      throw new StoreError(`${storeName}.watch could not LISTEN on channel \`${channel}\`: ${messageOf(error)}`, { cause: error });
    }
    session.#established = true;
    return session;
  }

  /**
   * Stops listening: `UNLISTEN`, then gives the connection back to the pool (or destroys it when
   * `UNLISTEN` failed, so no pooled connection keeps listening). Calling it again does nothing.
   */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      await this.#connection.query(`UNLISTEN ${quoteIdentifier(this.#channel)}`);
      this.#detach(true);
      this.#connection.release();
    } catch (error) {
      this.#detach(false);
      this.#connection.release(error instanceof Error ? error : true);
    }
  }

  readonly #onNotification = (notification: PostgresNotification): void => {
    if (this.#ended || notification.channel !== this.#channel) return;
    const change = decodeChangePayload(notification.payload);
    if (change !== undefined) this.#handlers.onChange(change);
  };

  readonly #onError = (error: Error): void => {
    this.#lose(error);
  };

  readonly #onEnd = (): void => {
    this.#lose(new Error('the connection ended'));
  };

  #lose(error: unknown): void {
    // Before LISTEN completed, the failing query reports it (open rejects).
    if (this.#ended || !this.#established) return;
    this.#ended = true;
    this.#detach(false);
    this.#connection.release(error instanceof Error ? error : true);
    this.#handlers.onLost(error);
  }

  /**
   * Removes the listeners. The `'error'` listener stays on a broken connection (now a no-op):
   * pg may emit more errors on it, and an EventEmitter without one would throw them.
   */
  #detach(includingError: boolean): void {
    this.#connection.removeListener('notification', this.#onNotification);
    this.#connection.removeListener('end', this.#onEnd);
    if (includingError) this.#connection.removeListener('error', this.#onError);
  }
}

function isPoolConnection(value: unknown): value is PostgresPoolConnection {
  const candidate = value as Partial<PostgresPoolConnection> | null | undefined;
  return (
    typeof candidate?.query === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.removeListener === 'function' &&
    typeof candidate.release === 'function'
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
