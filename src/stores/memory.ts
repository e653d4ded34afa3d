/**
 * `MemoryStateStore`: the embedded default store. Atomic within one process (each operation runs
 * synchronously between awaits) and shareable between several registries in one process, which is
 * how tests simulate several bot processes. Not durable. Its `watch` reports every change made
 * through it, on a microtask after the write.
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
import { assertWatchArguments, ChangeFeed } from './change-feed.js';

/**
 * Copies a record field by field: far cheaper than `structuredClone` (a creation copies its record
 * four times), and the copy has one compact shape, which keeps 100,000 stored records small.
 */
function copyRecord(record: StopRecord): StopRecord {
  const { parameters, order } = record;
  return {
    key: record.key,
    version: record.version,
    owner: record.owner,
    leaseExpiresAt: record.leaseExpiresAt,
    state: record.state,
    symbol: record.symbol,
    side: record.side,
    entryPrice: record.entryPrice,
    quantity: record.quantity,
    positionId: record.positionId,
    sequence: record.sequence,
    clientOrderId: record.clientOrderId,
    stopPrice: record.stopPrice,
    bestPrice: record.bestPrice,
    activated: record.activated,
    tierIndex: record.tierIndex,
    order:
      order === null || order === undefined
        ? order
        : {
            id: order.id,
            clientOrderId: order.clientOrderId,
            symbol: order.symbol,
            side: order.side,
            quantity: order.quantity,
            stopPrice: order.stopPrice,
            ...(order.status === undefined ? {} : { status: order.status }),
          },
    parameters:
      parameters === null || parameters === undefined
        ? parameters
        : { ...parameters, steps: Array.isArray(parameters.steps) ? parameters.steps.map((step) => ({ ...step })) : parameters.steps },
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * In-memory {@link StateStore}. Records are copied in and out, so callers never share objects.
 * Every registry sharing one instance shares its storage, so its `watch` sees every change.
 */
export class MemoryStateStore implements StateStore {
  /** Not durable, not shared between processes; watchable. */
  readonly capabilities: StateStoreCapabilities = { durable: false, shared: false, watch: true };
  readonly #records = new Map<string, StopRecord>();
  readonly #feed = new ChangeFeed();
  #closed = false;

  /** Number of records stored. */
  get size(): number {
    return this.#records.size;
  }

  /** @inheritdoc */
  async load(key: string): Promise<StopRecord | undefined> {
    this.#assertOpen();
    const record = this.#records.get(key);
    return record === undefined ? undefined : copyRecord(record);
  }

  /** @inheritdoc */
  async list(): Promise<StopRecord[]> {
    this.#assertOpen();
    return [...this.#records.values()].map((record) => copyRecord(record));
  }

  /** @inheritdoc */
  async insert(record: StopRecord): Promise<InsertResult> {
    this.#assertOpen();
    assertRecordShape(record);
    const existing = this.#records.get(record.key);
    if (existing !== undefined) return { inserted: false, record: copyRecord(existing) };
    this.#records.set(record.key, copyRecord(record));
    if (this.#feed.size > 0) this.#feed.publish(changeOf(record));
    return { inserted: true, record: copyRecord(record) };
  }

  /** @inheritdoc */
  async compareAndSet(next: StopRecord, expectedVersion: number): Promise<CompareAndSetResult> {
    this.#assertOpen();
    assertRecordShape(next, expectedVersion);
    const current = this.#records.get(next.key);
    if (current === undefined || current.version !== expectedVersion) {
      return { updated: false, current: current === undefined ? undefined : copyRecord(current) };
    }
    this.#records.set(next.key, copyRecord(next));
    if (this.#feed.size > 0) this.#feed.publish(changeOf(next));
    return { updated: true, record: copyRecord(next) };
  }

  /** @inheritdoc */
  async delete(key: string, expectedVersion?: number): Promise<boolean> {
    this.#assertOpen();
    const current = this.#records.get(key);
    if (current === undefined) return false;
    if (expectedVersion !== undefined && current.version !== expectedVersion) return false;
    this.#records.delete(key);
    if (this.#feed.size > 0) this.#feed.publish({ key, version: null, state: null });
    return true;
  }

  /**
   * Reports every insert, compare-and-set and delete made through this instance from now on
   * (whichever registry made it), with the contract of {@link StateStore.watch}. Synchronous: the
   * watch is in place when the call returns. Each change is queued by the write itself, before
   * the write's promise resolves, and delivered on a microtask in write order: the listener runs
   * after the store call returned and before anything awaiting that write resumes, never inside a
   * store call. Nothing is coalesced or lost; `onError` is called only when the listener throws.
   *
   * @throws TypeError for a listener that is not a function or a missing signal.
   * @throws StoreError once the store is closed.
   */
  watch(listener: (change: StoreChange) => void, options: StoreWatchOptions): void {
    assertWatchArguments(listener, options);
    this.#assertOpen();
    this.#feed.subscribe(listener, options);
  }

  /** Marks the store closed (later calls reject) and ends every watch. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#feed.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('MemoryStateStore is closed');
  }
}

/** What a watcher hears about `record` having been written. */
function changeOf(record: StopRecord): StoreChange {
  return { key: record.key, version: record.version, state: record.state, positionId: record.positionId, owner: record.owner };
}
