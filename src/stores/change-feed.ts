/**
 * The listener side of `StateStore.watch`, shared by the store adapters: who watches, and the
 * delivery of changes to them in order, on a microtask, never inside a store call. Each adapter
 * decides only where its changes come from (its own writes, `LISTEN`, a poll).
 */
import type { StoreChange, StoreWatchOptions } from '../ports/state-store.js';
import { StoreError } from '../errors.js';
import { describeValue } from '../domain/validation.js';

/** One `watch()` call. */
interface Subscriber {
  readonly listener: (change: StoreChange) => void;
  readonly signal: AbortSignal;
  readonly onError: ((error: StoreError) => void) | undefined;
  /** Sequence number of the first change this subscriber may receive. */
  readonly firstSequence: number;
  readonly onAbort: () => void;
}

/**
 * Throws a `TypeError` naming the value unless `listener` is a function and `options.signal` an
 * AbortSignal (and `options.onError`, when given, a function): bad input fails before any I/O.
 */
export function assertWatchArguments(listener: unknown, options: unknown): asserts options is StoreWatchOptions {
  if (typeof listener !== 'function') {
    throw new TypeError(`Expected \`listener\` to be a function, got ${describeValue(listener)}`);
  }
  const signal = (options as Partial<StoreWatchOptions> | undefined)?.signal;
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected \`options.signal\` to be an AbortSignal, got ${describeValue(signal)}`);
  }
  const onError = (options as Partial<StoreWatchOptions>).onError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError(`Expected \`options.onError\` to be a function when given, got ${describeValue(onError)}`);
  }
}

/**
 * The subscribers of one store instance and an ordered queue of changes for them. `publish` only
 * queues; one microtask delivers the queue in order, so a listener that writes to the store from
 * inside its call cannot make another listener see a newer change before an older one.
 */
export class ChangeFeed {
  readonly #subscribers = new Set<Subscriber>();
  readonly #queue: Array<{ readonly sequence: number; readonly change: StoreChange }> = [];
  readonly #onEmpty: () => void;
  #published = 0;
  #draining = false;

  /** @param onEmpty - Called when the last subscriber leaves (abort, failure or `clear()`). */
  constructor(onEmpty: () => void = () => undefined) {
    this.#onEmpty = onEmpty;
  }

  /** Number of active watches. */
  get size(): number {
    return this.#subscribers.size;
  }

  /**
   * Adds a watch that receives every change published from now on, until `options.signal` aborts.
   * Returns `false` (adding nothing) when the signal is already aborted.
   */
  subscribe(listener: (change: StoreChange) => void, options: StoreWatchOptions): boolean {
    const { signal } = options;
    if (signal.aborted) return false;
    const subscriber: Subscriber = {
      listener,
      signal,
      onError: options.onError,
      firstSequence: this.#published,
      onAbort: () => this.#remove(subscriber),
    };
    this.#subscribers.add(subscriber);
    signal.addEventListener('abort', subscriber.onAbort, { once: true });
    return true;
  }

  /** Removes the watches whose signal is `signal` (a watch whose setup failed). */
  unsubscribe(signal: AbortSignal): void {
    for (const subscriber of this.#subscribers) if (subscriber.signal === signal) this.#remove(subscriber);
  }

  /** Queues `change` for every current watch; delivered on a microtask, in publication order. */
  publish(change: StoreChange): void {
    if (this.#subscribers.size === 0) return;
    this.#queue.push({ sequence: this.#published, change });
    this.#published += 1;
    if (this.#draining) return;
    this.#draining = true;
    queueMicrotask(() => this.#drain());
  }

  /** Ends every watch with `error` (each `onError` hears it once); queued changes are dropped. */
  fail(error: StoreError): void {
    const failed = [...this.#subscribers];
    this.clear();
    for (const subscriber of failed) report(subscriber, error);
  }

  /** Ends every watch silently (the store closed); queued changes are dropped. */
  clear(): void {
    if (this.#subscribers.size === 0) return;
    for (const subscriber of this.#subscribers) subscriber.signal.removeEventListener('abort', subscriber.onAbort);
    this.#subscribers.clear();
    this.#queue.length = 0;
    this.#onEmpty();
  }

  #drain(): void {
    // A listener may publish (by writing to the store) while the queue drains: the loop picks it up.
    for (let index = 0; index < this.#queue.length; index++) {
      const { sequence, change } = this.#queue[index]!;
      for (const subscriber of [...this.#subscribers]) {
        if (sequence < subscriber.firstSequence || subscriber.signal.aborted || !this.#subscribers.has(subscriber)) continue;
        try {
          subscriber.listener(change);
        } catch (error) {
          this.#remove(subscriber);
          report(
            subscriber,
            new StoreError(`A watch listener threw on the change of key \`${change.key}\`; the watch ended: ${messageOf(error)}`, {
              cause: error,
              key: change.key,
            }),
          );
        }
      }
    }
    this.#queue.length = 0;
    this.#draining = false;
  }

  #remove(subscriber: Subscriber): void {
    if (!this.#subscribers.delete(subscriber)) return;
    subscriber.signal.removeEventListener('abort', subscriber.onAbort);
    if (this.#subscribers.size === 0) {
      this.#queue.length = 0;
      this.#onEmpty();
    }
  }
}

/** Tells one watch why it ended; a throwing `onError` cannot break the others. */
function report(subscriber: Subscriber, error: StoreError): void {
  if (subscriber.signal.aborted) return;
  try {
    subscriber.onError?.(error);
  } catch {
    // Nothing left to tell: the watch has ended either way.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
