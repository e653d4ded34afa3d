import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/stores/memory.js';
import { describeStateStore, makeStopRecord } from '../../src/testing/index.js';

describeStateStore('MemoryStateStore', () => ({ store: new MemoryStateStore() }), { durable: false, shared: false });

describe('MemoryStateStore', () => {
  it('declares itself neither durable nor shared', () => {
    expect(new MemoryStateStore().capabilities).toEqual({ durable: false, shared: false });
  });

  it('size counts the stored records', async () => {
    const store = new MemoryStateStore();
    await store.insert(makeStopRecord({ key: 'A' }));
    await store.insert(makeStopRecord({ key: 'B' }));
    await store.delete('A');
    expect(store.size).toBe(1);
  });
});
