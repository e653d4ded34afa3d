/**
 * Registries learn of each other's changes: where the store can watch (`StateStore.watch`), the
 * registry subscribes once (on its first `create()` or `restore()`) and, for a key it holds whose
 * record another writer changed (a newer version, another position, or deleted), marks the stop
 * unconfirmed and re-reads it in the background: a stop removed or replaced elsewhere is dropped,
 * a newer state merged in. A change is a hint, never acted on as data: the record is re-read, and
 * every write stays a compare-and-set. When the watch ends with an error, every stop is marked
 * unconfirmed (changes may have been missed) and the watch is set up again with backoff.
 */
import type { StateStore, StoreChange } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import { StoreError, TrailingStopError } from '../errors.js';
import { unref } from '../domain/timers.js';
import type { StopBook } from '../stop/stop-book.js';
import type { StopEntry } from '../stop/stop-entry.js';
import { isSameStop } from '../stop/stop-record.js';
import type { RecordWriter } from './record-writer.js';
import type { Reporter } from './reporter.js';
import type { StopEndings } from './stop-endings.js';
import type { WorkTracker } from './work-tracker.js';

/** What the store watch needs. */
export interface StoreChangesOptions {
  readonly store: StateStore;
  readonly book: StopBook;
  readonly writer: RecordWriter;
  readonly endings: StopEndings;
  readonly reporter: Reporter;
  readonly work: WorkTracker;
  readonly clock: Clock;
  /** First wait before watching again after the watch broke, in ms (doubling up to 60 times it). */
  readonly rewatchMs: number;
  /** This registry's owner id: changes it wrote itself are not news. */
  readonly owner: string;
}

/** See the module comment. */
export class StoreChanges {
  readonly #options: StoreChangesOptions;
  #controller: AbortController | undefined;
  #healthy = false;
  #started: Promise<void> | undefined;

  constructor(options: StoreChangesOptions) {
    this.#options = options;
  }

  /** True while the store's watch is in place: memory then stays confirmed until a change says otherwise. */
  get watching(): boolean {
    return this.#healthy;
  }

  /**
   * Watches the store once (no-op without `watch`, when the store declares `capabilities.watch:
   * false`, or when watching). Resolves once the watch is in place or failed to start (never rejects).
   */
  subscribe(): Promise<void> {
    const store = this.#options.store;
    if (store.watch === undefined || store.capabilities?.watch === false) return Promise.resolve();
    if (this.#started === undefined) {
      this.#controller = new AbortController();
      this.#started = this.#watch(this.#controller.signal, this.#options.rewatchMs);
    }
    return this.#started;
  }

  /** Ends the watch (close). */
  stop(): void {
    this.#healthy = false;
    this.#controller?.abort();
  }

  /** Sets the watch up; resolves once it is in place or failed, then keeps it going in the background. */
  #watch(signal: AbortSignal, wait: number): Promise<void> {
    return new Promise<void>((started) => {
      const ended = new Promise<StoreError>((resolve) => {
        let setUp: void | Promise<void>;
        try {
          setUp = this.#options.store.watch!((change) => this.#changed(change), { signal, onError: (error) => resolve(error) });
        } catch (error) {
          setUp = Promise.reject(error);
        }
        Promise.resolve(setUp).then(
          () => {
            if (!signal.aborted) this.#healthy = true;
            started();
          },
          (error: unknown) => {
            started();
            resolve(error instanceof StoreError ? error : new StoreError('Watching the store failed', { cause: error }));
          },
        );
      });
      void this.#keep(signal, wait, ended);
    });
  }

  /** When the watch ends with an error: report it, mark every stop unconfirmed, watch again later. */
  async #keep(signal: AbortSignal, wait: number, ended: Promise<StoreError>): Promise<void> {
    const { reporter, clock, rewatchMs } = this.#options;
    const error = await Promise.race([ended, new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }))]);
    if (error === undefined || signal.aborted) return;
    this.#healthy = false;
    reporter.error(error, { operation: 'watch' });
    // Changes may have been missed: nothing held is confirmed any more.
    for (const entry of this.#options.book.entries()) entry.confirmedAt = Number.NEGATIVE_INFINITY;
    await new Promise<void>((resolve) => unref(clock.setTimeout(resolve, wait)));
    if (!signal.aborted) await this.#watch(signal, Math.min(wait * 2, rewatchMs * 60));
  }

  #changed(change: StoreChange): void {
    const entry = this.#options.book.get(change.key);
    if (entry === undefined || entry.retiring) return;
    // This registry's own writes are known.
    if (change.owner === this.#options.owner && change.positionId === entry.positionId) return;
    if (entry.ended) {
      // An ended stop is past what other writers can change, but a new position may take its key:
      // then memory must not keep showing it. (A deletion alone may be this registry's own.)
      if (change.version !== null) this.#forgetIfReplaced(entry);
      return;
    }
    const otherPosition = change.positionId !== undefined && change.positionId !== entry.positionId;
    if (change.version !== null && !otherPosition && change.version <= entry.version) return; // nothing newer
    entry.confirmedAt = Number.NEGATIVE_INFINITY;
    this.#refresh(entry);
  }

  /** Re-reads an ended stop whose key another writer wrote: dropped when the record is another stop's. */
  #forgetIfReplaced(entry: StopEntry): void {
    const { store, endings, reporter, work, book } = this.#options;
    work.track(
      store
        .load(entry.key)
        .then((record) => {
          if (record !== undefined && isSameStop(entry, record)) return;
          if (book.get(entry.key) !== entry || entry.retiring) return;
          // A failed stop may still hold its previous order, which the new position's writer never knew.
          endings.removedElsewhere(entry, entry.state === 'triggered' ? null : entry.order);
        })
        .catch((error: unknown) => {
          if (error instanceof TrailingStopError) reporter.error(error, { operation: 'sync', key: entry.key });
        }),
    );
  }

  /** Re-reads a stop another writer changed: dropped when gone, newer state merged in. */
  #refresh(entry: StopEntry): void {
    const { writer, endings, reporter, work, book } = this.#options;
    if (entry.retiring || entry.sync.running || book.isCreating(entry.key)) return; // the work in flight finds out itself
    work.track(
      writer
        .refresh(entry)
        .then((outcome) => {
          // Whoever removed or replaced the record cancelled the order it named, but may have read it
          // before this registry recorded its order (a claim's first order): cancel what memory holds.
          if (outcome === 'gone' && book.get(entry.key) === entry && !entry.retiring) endings.removedElsewhere(entry, entry.order);
        })
        .catch((error: unknown) => {
          if (error instanceof TrailingStopError) reporter.error(error, { operation: 'sync', key: entry.key });
        }),
    );
  }
}
