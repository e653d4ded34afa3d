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
    return record === undefined ? undefined : structuredClone(record);
  }

  /** @inheritdoc */
  async list(): Promise<StopRecord[]> {
    this.#assertOpen();
    return [...this.#records.values()].map((record) => structuredClone(record));
  }

  /** @inheritdoc */
  async insert(record: StopRecord): Promise<InsertResult> {
    this.#assertOpen();
    assertRecordShape(record);
    const existing = this.#records.get(record.key);
    if (existing !== undefined) return { inserted: false, record: structuredClone(existing) };
    this.#records.set(record.key, structuredClone(record));
    return { inserted: true, record: structuredClone(record) };
  }

  /** @inheritdoc */
  async compareAndSet(next: StopRecord, expectedVersion: number): Promise<CompareAndSetResult> {
    this.#assertOpen();
    assertRecordShape(next, expectedVersion);
    const current = this.#records.get(next.key);
    if (current === undefined || current.version !== expectedVersion) {
      return { updated: false, current: current === undefined ? undefined : structuredClone(current) };
    }
    this.#records.set(next.key, structuredClone(next));
    return { updated: true, record: structuredClone(next) };
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
