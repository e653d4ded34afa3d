/**
 * `MemoryStateStore`: the embedded default store. Atomic within one process (each operation runs
 * synchronously between awaits) and shareable between several registries in one process, which is
 * how tests simulate several bot processes. Not durable.
 */
import type {
  CompareAndSetResult,
  InsertResult,
  StateStore,
  StateStoreCapabilities,
  StopRecord,
} from '../ports/state-store.js';
import { StoreError } from '../errors.js';
import { assertRecordShape } from './record-shape.js';

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

/** In-memory {@link StateStore}. Records are copied in and out, so callers never share objects. */
export class MemoryStateStore implements StateStore {
  /** Not durable, not shared between processes. */
  readonly capabilities: StateStoreCapabilities = { durable: false, shared: false };
  readonly #records = new Map<string, StopRecord>();
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
    return { updated: true, record: copyRecord(next) };
  }

  /** @inheritdoc */
  async delete(key: string, expectedVersion?: number): Promise<boolean> {
    this.#assertOpen();
    const current = this.#records.get(key);
    if (current === undefined) return false;
    if (expectedVersion !== undefined && current.version !== expectedVersion) return false;
    return this.#records.delete(key);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('MemoryStateStore is closed');
  }
}
