/**
 * `TrailingStopRegistry`: the public facade. It validates input before any I/O (I8), refuses work
 * after `close()`, and hands each operation to one named collaborator:
 * - {@link CreationProtocol}: check, claim, work, double-check, publish (docs/design.md section 4);
 * - {@link PriceFanOut}: prices to the policy, changes to the stop's exchange sync;
 * - {@link StopEndings}: trigger, gap, failure, removal here or elsewhere;
 * - {@link RecordWriter}: compare-and-set writes with merge, compensation;
 * - {@link Reconciler}: restore and reconcile with the venue;
 * - {@link StopBook}: the stops in memory; {@link WorkTracker}: what `onIdle()` waits for.
 *
 * No lock, mutex or store transaction is ever held across an exchange call (I3): within one
 * process the "lock" around a check is the synchronous code between two awaits, and between
 * processes the store's insert-if-absent and compare-and-set arbitrate.
 */
import { EventEmitter } from 'eventemitter3';
import type { OrderPlacer, OrderUpdate } from '../ports/order-placer.js';
import type { StateStore } from '../ports/state-store.js';
import { systemClock } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { MemoryStateStore } from '../stores/memory.js';
import { AbortedError, ClosedError, NotFoundError, PlacementError, StoreError, TrailingStopError, ValidationError } from '../errors.js';
import type { RegistryEvents } from '../events.js';
import { detachOnAbort } from '../domain/abort.js';
import { checkNumber, positive } from '../domain/validation.js';
import { validateCreateSpec, type CreateStopSpec, type ValidatedSpec } from '../policy/create-spec.js';
import { fitSpecToPlacer } from '../exchange/placer-support.js';
import type { TrailingStop } from '../stop/trailing-stop.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { StopBook } from '../stop/stop-book.js';
import type { Reconciler, ReconcileOptions, ReconcileReport, RestoreReport } from '../recovery/reconciler.js';
import { assembleCollaborators } from './assembly.js';
import type { CreationProtocol } from './creation.js';
import { checkOrderUpdate, type OrderUpdates } from './order-updates.js';
import type { OwedWork } from './owed-work.js';
import type { PriceFanOut } from './price-fan-out.js';
import type { RecordWriter } from './record-writer.js';
import type { Reporter } from './reporter.js';
import { largestLagOf, statsOf, type RegistryCounters, type RegistryStats } from './stats.js';
import type { StopEndings } from './stop-endings.js';
import type { WorkTracker } from './work-tracker.js';
import type { StoreChanges } from './store-changes.js';
import { resolveRegistryOptions, type ResolvedRegistryOptions, type TrailingStopRegistryOptions } from './options.js';

export type { RegistryStats } from './stats.js';

/** Options of {@link TrailingStopRegistry.create}. */
export interface CreateOptions {
  /** Stops this caller's wait only; work shared with other callers goes on. */
  readonly signal?: AbortSignal;
}

/** Options of {@link TrailingStopRegistry.remove}. */
export interface RemoveOptions {
  /** Why, passed to the `removed` event. Default `removed`. */
  readonly reason?: string;
}

/**
 * Keeps one protective trailing stop per key. See the README for the concepts.
 *
 * @example
 * ```ts
 * const registry = new TrailingStopRegistry({ placer: new PaperExchange(), callbackPercent: 1 });
 * const stop = await registry.create({ symbol: 'BTCUSDT', side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2 });
 * registry.updatePrice('BTCUSDT', 103);
 * ```
 */
export class TrailingStopRegistry extends EventEmitter<RegistryEvents> {
  readonly #options: ResolvedRegistryOptions;
  readonly #placer: OrderPlacer;
  readonly #store: StateStore;
  readonly #ownsStore: boolean;
  readonly #counters: RegistryCounters;
  readonly #reporter: Reporter;
  readonly #work: WorkTracker;
  readonly #book: StopBook;
  readonly #gateway: ExchangeGateway;
  readonly #endings: StopEndings;
  readonly #creation: CreationProtocol;
  readonly #prices: PriceFanOut;
  readonly #writer: RecordWriter;
  readonly #reconciler: Reconciler;
  readonly #owed: OwedWork;
  readonly #updates: OrderUpdates;
  readonly #storeChanges: StoreChanges;
  #closed = false;
  /** close() finished: no port call goes out any more. */
  #finished = false;

  /**
   * @param options See {@link TrailingStopRegistryOptions}. Validated at once: a wrong type throws
   * a TypeError, a value out of range a RangeError, naming the option.
   */
  constructor(options: TrailingStopRegistryOptions) {
    super();
    const random = options?.random ?? Math.random;
    const resolved = resolveRegistryOptions(options, random);
    this.#options = resolved;
    this.#placer = options.placer;
    this.#ownsStore = options.store === undefined;
    const store = options.store ?? new MemoryStateStore();
    this.#store = store;
    const parts = assembleCollaborators({
      events: this,
      options: resolved,
      placer: this.#placer,
      store,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
      random,
      closed: () => this.#closed,
      finished: () => this.#finished,
    });
    this.#counters = parts.counters;
    this.#reporter = parts.reporter;
    this.#work = parts.work;
    this.#book = parts.book;
    this.#gateway = parts.gateway;
    this.#endings = parts.endings;
    this.#creation = parts.creation;
    this.#prices = parts.prices;
    this.#writer = parts.writer;
    this.#reconciler = parts.reconciler;
    this.#owed = parts.owed;
    this.#updates = parts.updates;
    this.#storeChanges = parts.storeChanges;
  }

  /** This registry's owner id (recorded in its claims). */
  get owner(): string {
    return this.#options.owner;
  }

  /** Number of stops in memory (any state). */
  get size(): number {
    return this.#book.size;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Counters and gauges, as a fresh object. */
  get stats(): RegistryStats {
    return statsOf(this.#counters, this.#gateway.counters, this.#work.count, this.#book.size, this.#gateway.budget, largestLagOf(this.#book));
  }

  /** The stop for `key`, if this registry holds one. */
  get(key: string): TrailingStop | undefined {
    return this.#book.get(key)?.facade;
  }

  /** True when this registry holds a stop for `key`. */
  has(key: string): boolean {
    return this.#book.get(key) !== undefined;
  }

  /** Every stop this registry holds, in creation order. */
  list(): TrailingStop[] {
    return [...this.#book.entries()].map((entry) => entry.facade);
  }

  /**
   * Creates the trailing stop for a position, once and only once per key however many callers
   * race (I1, I2). With an initial stop (`initialStopPrice` / `stopLossPercent`), or an activation
   * already reached at entry, the protective order is placed before the promise resolves; without
   * one the stop waits for activation and its first order is placed then.
   *
   * A live stop for the key is returned only for the same position: a spec with another side,
   * quantity, entry price or mode and no new `positionId` rejects with {@link StopConflictError}.
   *
   * Rejects with a {@link ValidationError} before any I/O on bad input (I8), {@link ClosedError}
   * after `close()`, {@link PlacementError} or {@link WouldTriggerError} when the stop could not be
   * placed (the stop then stays visible in state `failed` / `triggered`, I6), {@link RemovedError}
   * when the key was removed meanwhile, {@link AbortedError} when `options.signal` fired.
   */
  create(spec: CreateStopSpec, options: CreateOptions = {}): Promise<TrailingStop> {
    if (this.#closed) return Promise.reject(new ClosedError());
    let input: ValidatedSpec;
    try {
      input = fitSpecToPlacer(validateCreateSpec(spec, this.#options.defaults), this.#placer);
      const live = this.#creation.reusableStop(input);
      if (live !== undefined) return Promise.resolve(live.facade);
    } catch (error) {
      // Reported like every failed creation (I6), before any I/O (I8).
      const failure = error as TrailingStopError;
      this.#reporter.error(failure, { operation: 'create', key: failure.key });
      return Promise.reject(failure);
    }
    this.#updates.subscribe();
    void this.#storeChanges.subscribe();
    const creation = this.#creation.start(input).then((entry) => entry.facade);
    const signal = options.signal;
    if (signal === undefined) return creation;
    return detachOnAbort(creation, signal, () => new AbortedError(undefined, { cause: signal.reason }));
  }

  /**
   * Creates many stops at once (a wave). Resolves one settled result per spec, in order; one
   * failure never aborts the others. Work overlaps up to the concurrency bound (I3).
   */
  createMany(specs: readonly CreateStopSpec[], options: CreateOptions = {}): Promise<PromiseSettledResult<TrailingStop>[]> {
    if (!Array.isArray(specs)) {
      return Promise.reject(new ValidationError('specs', 'Expected `specs` to be an array of create specs'));
    }
    return Promise.allSettled(specs.map((spec) => this.create(spec, options)));
  }

  /**
   * Feeds a price for `symbol` to every stop on it: updates peaks, activation, breakeven and the
   * stop price, detects triggers, and schedules exchange moves. Synchronous; allocates nothing
   * when no stop changes. A `timestamp` older than the newest seen for the symbol is ignored
   * (stale tick). Throws a {@link ValidationError} for a price that is not a positive finite number.
   * After `close()` prices are ignored: a closed registry starts no exchange call.
   */
  updatePrice(symbol: string, price: number, timestamp?: number): void {
    if (!(price > 0 && price < Number.POSITIVE_INFINITY)) throw invalidNumber('price', price);
    if (!this.#closed) this.#prices.update(symbol, price, timestamp);
  }

  /**
   * Applies what the venue says happened to an order: a fill ends the stop (`triggered`, source
   * `venue`), a partial fill shrinks it to the rest, a cancel by hand (not the registry's own) is
   * repaired at once or released (option `onExternalCancel`). Synchronous. Returns true when the
   * update concerned one of this registry's stop orders (by client order id, else venue id);
   * duplicates and older updates change nothing. Throws a {@link ValidationError} for a malformed
   * update. Ignored after `close()`. Use it to hand in fills from your own user-data stream; a
   * placer with `watchOrders` feeds it by itself.
   */
  handleOrderUpdate(update: OrderUpdate): boolean {
    checkOrderUpdate(update);
    if (this.#closed) return false;
    return this.#updates.handle(update);
  }

  /**
   * Feeds a new ATR to a stop trailing by `atr`: a smaller ATR tightens the stop, a larger one
   * never loosens it. Ignored after `close()`.
   */
  updateAtr(key: string, atr: number): void {
    if (checkNumber('atr', atr, positive) !== undefined) throw invalidNumber('atr', atr, key);
    const entry = this.#book.get(key);
    if (entry === undefined) throw new NotFoundError(key);
    if (entry.parameters.distanceKind !== 'atr') throw new ValidationError('atr', `The stop for ${key} does not trail by ATR`, { key });
    if (entry.live && !this.#closed) this.#prices.updateAtr(entry, atr);
  }

  /**
   * Changes the protected quantity (partial fill, DCA, partial exit) and re-places the stop for
   * the new size, make-before-break. Resolves once the venue holds it (or at once when the stop
   * has no order yet).
   */
  async resize(key: string, quantity: number): Promise<TrailingStop> {
    if (this.#closed) throw new ClosedError();
    if (checkNumber('quantity', quantity, positive) !== undefined) throw invalidNumber('quantity', quantity, key);
    const entry = this.#book.get(key);
    if (entry === undefined) throw new NotFoundError(key);
    if (!entry.live) throw new ValidationError('key', `The stop for ${key} is ${entry.state} and cannot be resized`, { key });
    entry.quantity = quantity;
    return this.#work.run(async () => {
      await entry.sync.idle();
      if (entry.parameters.mode === 'exchange' && entry.order !== null) {
        entry.sync.request();
        await entry.sync.idle();
      } else {
        try {
          await this.#writer.write(entry);
        } catch (error) {
          // Memory holds the new size: the failure is reported and the write owed, like a move's.
          const failure = error instanceof TrailingStopError ? error : new StoreError(`Persisting the resize of ${key} failed`, { cause: error, key });
          this.#endings.storeFailed(entry, failure);
          throw failure;
        }
      }
      if (entry.state === 'failed') {
        // The stop failed meanwhile (here, or as another registry recorded it): this caller's
        // resize failed with it, and says so (I6).
        const failure = new PlacementError(`Resizing the stop for ${key} failed`, { key });
        this.#reporter.error(failure, { operation: 'sync', key });
        throw failure;
      }
      return entry.facade;
    });
  }

  /**
   * Removes the stop for `key`: cancels its exchange order, deletes its record, emits `removed`.
   * A creation in flight for the key is waited for first, so nothing is left on the venue. Works
   * for a stop another registry created (found in the store). Resolves false when there was none.
   */
  async remove(key: string, options: RemoveOptions = {}): Promise<boolean> {
    if (this.#closed) throw new ClosedError();
    if (typeof key !== 'string' || key.length === 0) throw new ValidationError('key', 'Expected `key` to be a non-empty string');
    const reason = options.reason ?? 'removed';
    return this.#work.run(() => this.#endings.remove(key, reason));
  }

  /**
   * Loads every record from the store into memory; records that cannot be read are skipped and
   * reported (`corruptRecord` event). When the placer can look orders up (`findStop` or
   * `openStops`), then reconciles with the exchange (see {@link reconcile}). Pass the current
   * prices so a stop the market crossed while the bot was down takes the gap path.
   */
  async restore(options: ReconcileOptions = {}): Promise<RestoreReport> {
    if (this.#closed) throw new ClosedError();
    validatePrices(options.prices);
    this.#updates.subscribe();
    return this.#work.run(async () => {
      // Watch first, so no change between the restore's reading and the watch is missed.
      await this.#storeChanges.subscribe();
      return this.#reconciler.restore(options).catch((error: unknown) => this.#rejectReported(error, 'restore', 'Restoring failed'));
    });
  }

  /**
   * Makes store, memory and exchange agree; idempotent, safe to call periodically:
   * - a pending claim of this registry, or an expired one of another, is resolved by client order
   *   id: open order adopted, filled order finalized, missing order placed under the same id;
   * - an active stop whose order vanished from the venue is placed again (`replaced`);
   * - an open order with this registry's client order id prefix and no record is cancelled (`orphanCancelled`);
   * - a side or quantity mismatch between record and venue is reported (`mismatch`), not changed;
   * - a stop the given price already crossed takes the gap path (`gap`).
   */
  async reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    if (this.#closed) throw new ClosedError();
    validatePrices(options.prices);
    return this.#work.run(() =>
      this.#reconciler.reconcile(options).catch((error: unknown) => this.#rejectReported(error, 'reconcile', 'Reconciliation failed')),
    );
  }

  /** A recovery that failed as a whole: the caller's rejection and an `error` event both say so (I6). */
  #rejectReported(error: unknown, operation: 'restore' | 'reconcile', message: string): never {
    const failure = error instanceof TrailingStopError ? error : new StoreError(message, { cause: error });
    this.#reporter.error(failure, { operation });
    throw failure;
  }

  /** Resolves when no creation, removal, sync or exchange call is in flight (throttle timers may be pending). */
  onIdle(): Promise<void> {
    return this.#work.onIdle();
  }

  /**
   * Refuses new work ({@link ClosedError}), stops throttle timers, and waits for work in flight.
   * Closes the store only when the registry created it (the default memory store).
   */
  async close(): Promise<void> {
    if (this.#closed) return this.onIdle();
    this.#closed = true;
    for (const entry of this.#book.entries()) entry.sync.cancel();
    this.#owed.stop();
    this.#updates.stop();
    this.#storeChanges.stop();
    await this.onIdle();
    this.#finished = true;
    if (this.#ownsStore) await this.#store.close();
  }

}

/** Checks the current prices given to restore/reconcile before any I/O (I8). */
function validatePrices(prices: Readonly<Record<string, number>> | undefined): void {
  if (prices === undefined) return;
  if (typeof prices !== 'object' || prices === null) throw new ValidationError('prices', 'Expected `prices` to be an object of symbol to price');
  for (const [symbol, price] of Object.entries(prices)) {
    const message = checkNumber(`prices[${JSON.stringify(symbol)}]`, price, positive);
    if (message !== undefined) throw new ValidationError('prices', message);
  }
}

/** The ValidationError for a number that is not positive and finite. */
function invalidNumber(field: string, value: number, key?: string): ValidationError {
  const message = checkNumber(field, value, positive) ?? `Expected \`${field}\` to be positive`;
  return key === undefined ? new ValidationError(field, message) : new ValidationError(field, message, { key });
}
