/**
 * The paper venue's order stream, like a venue's user-data websocket: subscriptions, live
 * delivery on a microtask or held updates (`orderUpdates: 'manual'`) that a test delivers late,
 * out of turn or never, and a stream a test can break.
 */
import { describeValue } from '../../domain/validation.js';
import type { OrderUpdate, WatchOrdersOptions } from '../../ports/order-placer.js';

/** Picks held updates: all (undefined), the first N, or those a predicate accepts. */
export type HeldUpdateSelection = number | ((update: OrderUpdate) => boolean) | undefined;

/** One order-stream subscription. */
interface PaperWatcher {
  readonly listener: (update: OrderUpdate) => void;
  readonly signal: AbortSignal;
  /** Ends the subscription: resolves its promise, or rejects it with `error`. */
  readonly end: (error: Error | undefined) => void;
}

/** Subscriptions and the updates on their way to them; see the module comment. */
export class PaperOrderStream {
  readonly #mode: 'live' | 'manual';
  /** Subscriptions still listening. */
  readonly #watchers = new Set<PaperWatcher>();
  /** Updates held back in `'manual'` mode, oldest first. */
  #held: OrderUpdate[] = [];
  #watchCount = 0;

  /** @param mode `'live'`: delivered on a microtask; `'manual'`: held until delivered or dropped. */
  constructor(mode: 'live' | 'manual') {
    this.#mode = mode;
  }

  /** Subscriptions currently listening. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Subscriptions made since construction (resubscriptions included). */
  get watchCount(): number {
    return this.#watchCount;
  }

  /**
   * Subscribes `listener` until `options.signal` aborts; the promise resolves then, or rejects
   * when {@link PaperOrderStream.fail} breaks the stream.
   *
   * @throws TypeError for a listener that is not a function or a signal that is not an AbortSignal.
   */
  watch(listener: (update: OrderUpdate) => void, options: WatchOrdersOptions): Promise<void> {
    if (typeof listener !== 'function') throw new TypeError(`Expected \`listener\` to be a function, got ${describeValue(listener)}`);
    const signal = options?.signal;
    if (typeof signal?.addEventListener !== 'function' || typeof signal.aborted !== 'boolean') throw new TypeError(`Expected \`options.signal\` to be an AbortSignal, got ${describeValue(signal)}`);
    this.#watchCount++;
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const watcher: PaperWatcher = {
        listener,
        signal,
        end: (error) => {
          this.#watchers.delete(watcher);
          signal.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      const onAbort = () => watcher.end(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#watchers.add(watcher);
    });
  }

  /**
   * Reports `update`: held in `'manual'` mode; else delivered on a microtask to the listeners
   * subscribed now (none subscribed: nobody hears it).
   */
  publish(update: OrderUpdate): void {
    if (this.#mode === 'manual') {
      this.#held.push(update);
      return;
    }
    if (this.#watchers.size === 0) return; // nobody subscribed: a stream nobody listens to is not heard
    const audience = [...this.#watchers];
    queueMicrotask(() => this.#deliver(update, audience));
  }

  /**
   * Breaks every subscription, as a dropped websocket does: their promises reject with `error`
   * and their listeners hear nothing more.
   */
  fail(error: Error): void {
    for (const watcher of [...this.#watchers]) watcher.end(error);
  }

  /** Updates held back, oldest first (copies). */
  pending(): OrderUpdate[] {
    return this.#held.map((update) => ({ ...update }));
  }

  /** Delivers the selected held updates to the listeners subscribed now, synchronously and in order. */
  deliverHeld(select: HeldUpdateSelection): OrderUpdate[] {
    const taken = this.takeHeld(select);
    for (const update of taken) this.#deliver(update, [...this.#watchers]);
    return taken;
  }

  /**
   * Takes the selected held updates out of the queue (the others stay held) and returns them.
   *
   * @throws RangeError for a count that is not an integer >= 0; TypeError for neither a count nor a predicate.
   */
  takeHeld(select: HeldUpdateSelection): OrderUpdate[] {
    if (select === undefined) {
      const all = this.#held;
      this.#held = [];
      return all;
    }
    if (typeof select === 'number') {
      if (!Number.isInteger(select) || select < 0) throw new RangeError(`Expected a count to be an integer >= 0, got ${describeValue(select)}`);
      return this.#held.splice(0, select);
    }
    if (typeof select !== 'function') throw new TypeError(`Expected a count or a predicate, got ${describeValue(select)}`);
    const taken: OrderUpdate[] = [];
    const kept: OrderUpdate[] = [];
    for (const update of this.#held) (select({ ...update }) ? taken : kept).push(update);
    this.#held = kept;
    return taken;
  }

  #deliver(update: OrderUpdate, audience: readonly PaperWatcher[]): void {
    for (const watcher of audience) {
      // Aborted or broken since: that subscription hears nothing more.
      if (!this.#watchers.has(watcher) || watcher.signal.aborted) continue;
      watcher.listener({ ...update });
    }
  }
}
