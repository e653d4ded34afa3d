/**
 * How `SqliteStateStore.watch` learns of changes. SQLite has no notifications, so:
 *
 * - Commits by other connections (other stores, other processes on the machine) are found by
 *   polling `PRAGMA data_version`, which changes only when another connection committed. When it
 *   changed, the table is read and compared with a snapshot (key -> version and a digest of the
 *   row's JSON), and what differs is reported. A poll costs one cheap PRAGMA while nothing changed,
 *   one read of every row when something did.
 * - Writes through this connection do not change its `data_version`: the store announces them
 *   right after each successful write, to every watcher of the same table on the same connection
 *   (several stores may share one connection). It announces what its reads find too, so a record
 *   a registry loaded between two polls is in the snapshot, and its deletion is reported later.
 * - Inside a transaction the user opened on the connection, nothing is committed yet: writes and
 *   reads there only mark the watchers, whose next poll after the commit reads the table.
 */
import type { StoreChange, StopState } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import type { StoreError } from '../errors.js';
import { unref } from '../domain/timers.js';
import { toNumber, type StoredRow } from './record-codec.js';
import type { ChangeFeed } from './change-feed.js';

/** What the poller reads through the store's connection. */
export interface SqliteChangeSource {
  /** The connection (the identity that groups the watchers one write must reach). */
  readonly connection: object;
  /** The records table. */
  readonly table: string;
  /** `PRAGMA data_version` of the connection. */
  readDataVersion(): number;
  /** Every row of the table. */
  readRows(): StoredRow[];
  /** True while the connection has a transaction open (its own writes are not committed). */
  inTransaction(): boolean;
  /** Turns a failed read into the error the watchers hear. */
  failure(error: unknown): StoreError;
}

/** What one store call on the connection found or wrote for one key. */
export interface SqliteObservation {
  /** The key. */
  readonly key: string;
  /** The row now stored for the key, or `null` when there is none. */
  readonly row: StoredRow | null;
  /** The record's `positionId` when the caller has it (a write), which saves parsing the JSON. */
  readonly positionId?: unknown;
  /** A delete of this connection that removed a row: reported even when the snapshot lacked the key. */
  readonly deleted?: boolean;
}

/** What the snapshot keeps per key: enough to tell that a row changed, not the row. */
interface RowMark {
  readonly version: number;
  readonly digest: number;
}

/** Pollers by connection, so a write through any store on a connection reaches all of them. */
const pollersByConnection = new WeakMap<object, Set<SqliteChangePoller>>();

/**
 * Tells every watcher of `table` on `connection` what a store call there found or wrote: after each
 * insert, compare-and-set and delete that changed a row, and each `load` (and the losing insert or
 * compare-and-set that read the winner).
 */
export function announceObservation(connection: object, table: string, observation: SqliteObservation, inTransaction: boolean): void {
  const pollers = pollersByConnection.get(connection);
  if (pollers === undefined) return;
  for (const poller of pollers) if (poller.table === table) poller.observe(observation, inTransaction);
}

/** Tells every watcher of `table` on `connection` that `rows` are the whole table now (a `list`). */
export function announceTable(connection: object, table: string, rows: readonly StoredRow[], inTransaction: boolean): void {
  const pollers = pollersByConnection.get(connection);
  if (pollers === undefined) return;
  for (const poller of pollers) if (poller.table === table) poller.observeTable(rows, inTransaction);
}

/** Polls one store's table for changes and publishes them to the store's {@link ChangeFeed}. */
export class SqliteChangePoller {
  /** The table watched. */
  readonly table: string;
  readonly #source: SqliteChangeSource;
  readonly #feed: ChangeFeed;
  readonly #clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  readonly #intervalMs: number;
  #snapshot = new Map<string, RowMark>();
  #dataVersion = Number.NaN;
  /** A write of this connection inside a transaction: read the table at the next poll whatever data_version says. */
  #dirty = false;
  #timer: unknown;
  #running = false;

  constructor(source: SqliteChangeSource, feed: ChangeFeed, clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, intervalMs: number) {
    this.table = source.table;
    this.#source = source;
    this.#feed = feed;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /** Reads the baseline (reporting nothing), joins the connection's pollers, arms the timer. Throws when the read fails. */
  start(): void {
    this.#dataVersion = this.#source.readDataVersion();
    this.#snapshot = marksOf(this.#source.readRows());
    this.#running = true;
    let pollers = pollersByConnection.get(this.#source.connection);
    if (pollers === undefined) {
      pollers = new Set();
      pollersByConnection.set(this.#source.connection, pollers);
    }
    pollers.add(this);
    this.#arm();
  }

  /** Stops the timer and leaves the connection's pollers. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const pollers = pollersByConnection.get(this.#source.connection);
    pollers?.delete(this);
    if (pollers?.size === 0) pollersByConnection.delete(this.#source.connection);
    this.#snapshot.clear();
  }

  /**
   * Reports what other connections committed since the last poll. Skipped while the connection
   * has a transaction open, because it would read its own uncommitted writes. Throws when the read fails.
   */
  poll(): void {
    if (!this.#running || this.#source.inTransaction()) return;
    const dataVersion = this.#source.readDataVersion();
    if (dataVersion === this.#dataVersion && !this.#dirty) return;
    const rows = this.#source.readRows();
    this.#dataVersion = dataVersion;
    this.#dirty = false;
    this.#diff(rows);
  }

  /** What a store call on this connection found or wrote: reported now, or at the next poll inside a transaction. */
  observe(observation: SqliteObservation, inTransaction: boolean): void {
    if (!this.#running) return;
    if (inTransaction) {
      this.#dirty = true;
      return;
    }
    const { key, row } = observation;
    if (row === null) {
      if (this.#snapshot.delete(key) || observation.deleted === true) this.#feed.publish({ key, version: null, state: null });
      return;
    }
    const mark = markOf(row);
    const before = this.#snapshot.get(key);
    if (before !== undefined && sameMark(before, mark)) return;
    this.#snapshot.set(key, mark);
    this.#feed.publish(changeOfRow(key, mark.version, row, observation.positionId));
  }

  /** The whole table as a read on this connection found it. */
  observeTable(rows: readonly StoredRow[], inTransaction: boolean): void {
    if (!this.#running) return;
    if (inTransaction) {
      this.#dirty = true;
      return;
    }
    this.#diff(rows);
  }

  /** Reports every row that differs from the snapshot, and every key gone from it; then keeps `rows` as the snapshot. */
  #diff(rows: readonly StoredRow[]): void {
    const previous = this.#snapshot;
    const next = new Map<string, RowMark>();
    for (const row of rows) {
      const key = String(row.key);
      const mark = markOf(row);
      next.set(key, mark);
      const before = previous.get(key);
      if (before === undefined || !sameMark(before, mark)) this.#feed.publish(changeOfRow(key, mark.version, row));
    }
    for (const key of previous.keys()) {
      if (!next.has(key)) this.#feed.publish({ key, version: null, state: null });
    }
    this.#snapshot = next;
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#intervalMs);
    // Watching must never keep the process alive on its own.
    unref(this.#timer);
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    try {
      this.poll();
    } catch (error) {
      // Ends every watch (the feed's last subscriber leaving stops this poller).
      this.#feed.fail(this.#source.failure(error));
      return;
    }
    if (this.#running) this.#arm();
  }
}

function marksOf(rows: readonly StoredRow[]): Map<string, RowMark> {
  const marks = new Map<string, RowMark>();
  for (const row of rows) marks.set(String(row.key), markOf(row));
  return marks;
}

function markOf(row: StoredRow): RowMark {
  return { version: toNumber(row.version), digest: digest(typeof row.data === 'string' ? row.data : String(row.data)) };
}

function sameMark(left: RowMark, right: RowMark): boolean {
  return left.version === right.version && left.digest === right.digest;
}

/** The change `row` stands for; `positionId` as given, else when the row's JSON can say. */
function changeOfRow(key: string, version: number, row: StoredRow, knownPositionId?: unknown): StoreChange {
  const positionId = typeof knownPositionId === 'string' ? knownPositionId : positionIdOf(row.data);
  return {
    key,
    version,
    state: String(row.state) as StopState,
    ...(positionId === undefined ? {} : { positionId }),
    owner: String(row.owner),
  };
}

function positionIdOf(data: unknown): string | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const parsed = JSON.parse(data) as { positionId?: unknown } | null;
    return typeof parsed?.positionId === 'string' ? parsed.positionId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A 53-bit digest of a row's JSON (two multiplicative hash lanes), so the snapshot need not keep
 * the text: a row deleted and re-inserted at the same version is still seen to differ.
 */
function digest(text: string): number {
  let first = 0x811c9dc5 ^ text.length;
  let second = 0x9e3779b9;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193);
    second = Math.imul(second ^ code, 0x5bd1e995);
  }
  return (first >>> 0) * 0x200000 + ((second >>> 0) & 0x1fffff);
}
