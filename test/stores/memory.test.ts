import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/stores/memory.js';
import type { StoreChange } from '../../src/ports/state-store.js';
import type { StoreError } from '../../src/errors.js';
import { describeStateStore, makeStopRecord } from '../../src/testing/index.js';

describeStateStore('MemoryStateStore', () => ({ store: new MemoryStateStore() }), { durable: false, shared: false, watch: true });

describe('MemoryStateStore', () => {
  it('declares itself neither durable nor shared', () => {
    expect(new MemoryStateStore().capabilities).toEqual({ durable: false, shared: false, watch: true });
  });

  it('size counts the stored records', async () => {
    const store = new MemoryStateStore();
    await store.insert(makeStopRecord({ key: 'A' }));
    await store.insert(makeStopRecord({ key: 'B' }));
    await store.delete('A');
    expect(store.size).toBe(1);
  });

  describe('watch', () => {
    it('is in place when the call returns, and reports every field of the written record', async () => {
      const store = new MemoryStateStore();
      const heard: StoreChange[] = [];
      store.watch((change) => heard.push(change), { signal: new AbortController().signal });
      const record = makeStopRecord({ key: 'K', positionId: 'position-7', owner: 'registry-x', state: 'pending' });
      await store.insert(record);
      expect(heard).toEqual([{ key: 'K', version: 1, state: 'pending', positionId: 'position-7', owner: 'registry-x' }]);
    });

    it('delivers on a microtask: never inside the store call, before anything awaiting the write resumes', async () => {
      const store = new MemoryStateStore();
      const order: string[] = [];
      store.watch((change) => order.push(`change ${change.key}`), { signal: new AbortController().signal });
      const writing = store.insert(makeStopRecord({ key: 'K' }));
      order.push('call returned');
      await writing;
      order.push('write resumed');
      expect(order).toEqual(['call returned', 'change K', 'write resumed']);
    });

    it('a listener that writes from inside its call cannot make another listener hear a newer change first', async () => {
      const store = new MemoryStateStore();
      const record = makeStopRecord({ key: 'K' });
      const first: number[] = [];
      const second: number[] = [];
      const signal = new AbortController().signal;
      store.watch((change) => {
        first.push(change.version!);
        // Moves the record on as soon as it hears of a version (a registry refreshing its entry).
        if (change.version! < 3) void store.compareAndSet({ ...record, version: change.version! + 1 }, change.version!);
      }, { signal });
      store.watch((change) => second.push(change.version!), { signal });
      await store.insert(record);
      await new Promise((resolve) => setImmediate(resolve));
      expect(first).toEqual([1, 2, 3]);
      expect(second).toEqual([1, 2, 3]);
    });

    it('a watch aborted by another listener while a change is being delivered does not hear that change', async () => {
      const store = new MemoryStateStore();
      const later = new AbortController();
      const heard: string[] = [];
      store.watch(() => later.abort(), { signal: new AbortController().signal });
      store.watch((change) => heard.push(change.key), { signal: later.signal });
      await store.insert(makeStopRecord({ key: 'K' }));
      expect(heard).toEqual([]);
    });

    it('a throwing listener ends its own watch with onError and never fails the write or the other watches', async () => {
      const store = new MemoryStateStore();
      const errors: StoreError[] = [];
      const others: StoreChange[] = [];
      let calls = 0;
      store.watch(
        () => {
          calls += 1;
          throw new Error('listener bug');
        },
        { signal: new AbortController().signal, onError: (error) => errors.push(error) },
      );
      store.watch((change) => others.push(change), { signal: new AbortController().signal });
      await expect(store.insert(makeStopRecord({ key: 'A' }))).resolves.toMatchObject({ inserted: true });
      await store.insert(makeStopRecord({ key: 'B' }));
      expect(calls).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'ERR_STORE_FAILED', message: expect.stringContaining('listener bug') });
      expect(others.map((change) => change.key)).toEqual(['A', 'B']);
    });

    it('a watch started after a write does not hear it, even when the write is still being delivered', async () => {
      const store = new MemoryStateStore();
      const early: string[] = [];
      const late: string[] = [];
      store.watch((change) => early.push(change.key), { signal: new AbortController().signal });
      const writing = store.insert(makeStopRecord({ key: 'A' }));
      store.watch((change) => late.push(change.key), { signal: new AbortController().signal });
      await writing;
      await store.insert(makeStopRecord({ key: 'B' }));
      expect(early).toEqual(['A', 'B']);
      expect(late).toEqual(['B']);
    });

    it('close() ends every watch: a change queued before it is not delivered', async () => {
      const store = new MemoryStateStore();
      const heard: StoreChange[] = [];
      const errors: StoreError[] = [];
      store.watch((change) => heard.push(change), { signal: new AbortController().signal, onError: (error) => errors.push(error) });
      const writing = store.insert(makeStopRecord({ key: 'A' }));
      await store.close();
      await writing;
      expect(heard).toEqual([]);
      expect(errors).toEqual([]);
    });

    it('removes its abort listener when the watch ends, so a long-lived signal does not pile them up', async () => {
      const store = new MemoryStateStore();
      const controller = new AbortController();
      let added = 0;
      let removed = 0;
      const { signal } = controller;
      const addEventListener = signal.addEventListener.bind(signal);
      const removeEventListener = signal.removeEventListener.bind(signal);
      signal.addEventListener = ((...arguments_: Parameters<typeof addEventListener>) => {
        added += 1;
        addEventListener(...arguments_);
      }) as typeof signal.addEventListener;
      signal.removeEventListener = ((...arguments_: Parameters<typeof removeEventListener>) => {
        removed += 1;
        removeEventListener(...arguments_);
      }) as typeof signal.removeEventListener;
      store.watch(() => undefined, { signal });
      await store.close();
      expect([added, removed]).toEqual([1, 1]);
    });
  });
});
