/** A store for measuring the registry alone. */
import type { CompareAndSetResult, InsertResult, StateStore, StopRecord } from '../../src/ports/state-store.js';

/**
 * A database on the other side of a network, as seen by one process that owns every key: every
 * insert and compare-and-set succeeds and nothing is kept here. Not a valid store for several
 * registries (no arbitration); used only to measure the heap the registry itself retains.
 */
export class RemoteStore implements StateStore {
  async load(): Promise<StopRecord | undefined> {
    return undefined;
  }

  async list(): Promise<StopRecord[]> {
    return [];
  }

  async insert(record: StopRecord): Promise<InsertResult> {
    return { inserted: true, record };
  }

  async compareAndSet(next: StopRecord): Promise<CompareAndSetResult> {
    return { updated: true, record: next };
  }

  async delete(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}
