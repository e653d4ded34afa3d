/**
 * The store as the registry's collaborators see it: once `close()` finished, every call rejects
 * with {@link ClosedError} before reaching the store, so a background retry or a re-read that
 * outlived close() cannot touch the database (close() promises no more work).
 */
import { ClosedError } from '../errors.js';
import type { StateStore } from '../ports/state-store.js';

/** A store whose calls are refused once `isShut()` says so; `watch` and `close` pass through. */
export function guardStore(store: StateStore, isShut: () => boolean): StateStore {
  const refused = () => Promise.reject(new ClosedError('The registry closed: no store call is made after close() resolved'));
  const guarded: StateStore = {
    capabilities: store.capabilities,
    load: (key) => (isShut() ? refused() : store.load(key)),
    list: () => (isShut() ? refused() : store.list()),
    insert: (record) => (isShut() ? refused() : store.insert(record)),
    compareAndSet: (next, expectedVersion) => (isShut() ? refused() : store.compareAndSet(next, expectedVersion)),
    delete: (key, expectedVersion) => (isShut() ? refused() : expectedVersion === undefined ? store.delete(key) : store.delete(key, expectedVersion)),
    close: () => store.close(),
  };
  if (store.watch !== undefined) {
    const watch = store.watch.bind(store);
    return { ...guarded, watch: (listener, options) => watch(listener, options) };
  }
  return guarded;
}
