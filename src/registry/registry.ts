/**
 * `TrailingStopRegistry`: the coordinator. It keeps one trailing stop per key, creates stops with
 * the protocol of DESIGN.md section 4 (synchronous check, single flight per key, atomic claim in
 * the store, slow work outside any lock, compare-and-set double-check, compensation, publish),
 * fans prices out to the policy, hands moves to each stop's exchange sync, and emits typed events.
 *
 * No lock, mutex or store transaction is ever held across an exchange call (I3): within one
 * process the "lock" around a check is the synchronous code between two awaits, and between
 * processes the store's insert-if-absent and compare-and-set arbitrate.
 */
import { EventEmitter } from 'eventemitter3';
import { detachOnAbort } from '../domain/abort.js';
import type { OrderPlacer, StopOrder } from '../ports/order-placer.js';
import type { StateStore, StopRecord } from '../ports/state-store.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { MemoryStateStore } from '../stores/memory.js';
import {
  AbortedError,
  ClaimBusyError,
  ClosedError,
  NotFoundError,
  PlacementError,
  RemovedError,
  StoreConflictError,
  StoreError,
  TrailingStopError,
  ValidationError,
  WouldTriggerError,
} from '../errors.js';
import type { ErrorContext, RegistryEvents, TriggerReason } from '../events.js';
import { validateCreateSpec, type CreateStopSpec, type ValidatedSpec } from '../policy/create-spec.js';
import { resolveRegistryOptions, type ResolvedRegistryOptions, type TrailingStopRegistryOptions } from './options.js';
import { ExchangeGateway } from '../exchange/gateway.js';
import { fitSpecToPlacer } from '../exchange/placer-support.js';
import { StopSynchronizer, type SyncHost, type WriteOutcome } from '../exchange/stop-synchronizer.js';
import { StopEntry } from '../stop/stop-entry.js';
import type { TrailingStop } from '../stop/trailing-stop.js';
import {
  ACTIVATED,
  BREAKEVEN,
  STOP_MOVED,
  TRIGGERED,
  advancePolicy,
  createPolicyState,
  updateAtr,
} from '../policy/policy.js';
import { clientOrderIdBase, clientOrderIdBaseOf, clientOrderIdFor, defaultClientOrderIdMaxLength } from '../domain/client-order-id.js';
import { Reconciler, type ReconcilerHost, type ReconcileOptions, type ReconcileReport, type RestoreReport } from '../recovery/reconciler.js';
import { isExpiredClaim, takeOverExpiredClaim } from '../recovery/lease.js';
import { checkNumber, positive } from '../domain/validation.js';

/** Counters and gauges of a registry; `registry.stats` returns a fresh copy. */
export interface RegistryStats {
  /** Stops this registry created. */
  readonly created: number;
  /** Stops taken over from another registry's record (it created them first). */
  readonly adopted: number;
  /** Callers that joined a creation already in flight (single flight). */
  readonly coalesced: number;
  /** Double-check (compare-and-set) conflicts lost. */
  readonly racesLost: number;
  /** Orders cancelled after a lost race, a late answer or a concurrent removal. */
  readonly compensated: number;
  /** Creations and syncs that failed (the position was not protected as intended). */
  readonly failed: number;
  /** Exchange calls that timed out. */
  readonly timedOut: number;
  /** Creations, removals, syncs and exchange calls in flight. */
  readonly inFlight: number;
  /** Exchange calls made. */
  readonly exchangeCalls: number;
  /** Stop moves decided by the policy. */
  readonly moves: number;
  /** Stops removed. */
  readonly removed: number;
  /** Stops triggered. */
  readonly triggered: number;
  /** Total ms positions spent without a stop during cancel-then-place moves (0 with make-before-break). */
  readonly unprotectedMs: number;
  /** Stops in memory. */
  readonly size: number;
}

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

interface Flight {
  readonly promise: Promise<StopEntry>;
  readonly positionId: string | undefined;
}

type Claim =
  | { readonly kind: 'claimed'; readonly record: StopRecord; readonly takeover: boolean }
  | { readonly kind: 'adopt'; readonly record: StopRecord };

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
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #gateway: ExchangeGateway;
  readonly #host: SyncHost;
  readonly #reconciler: Reconciler;
  readonly #stops = new Map<string, StopEntry>();
  /** Stops following prices, by symbol: the entry itself when alone (the common case), else an array. */
  readonly #bySymbol = new Map<string, StopEntry | StopEntry[]>();
  readonly #lastTimestamp = new Map<string, number>();
  readonly #creations = new Map<string, Flight>();
  /** Client order id bases of creations in flight here, so the orphan sweep leaves them alone. */
  readonly #creatingBases = new Set<string>();
  #work = 0;
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  #positionCounter = 0;
  readonly #counters = {
    created: 0,
    adopted: 0,
    coalesced: 0,
    racesLost: 0,
    compensated: 0,
    failed: 0,
    moves: 0,
    removed: 0,
    triggered: 0,
    unprotectedMs: 0,
  };

  /**
   * @param options See {@link TrailingStopRegistryOptions}. Validated at once: a wrong type throws
   * a TypeError, a value out of range a RangeError, naming the option.
   */
  constructor(options: TrailingStopRegistryOptions) {
    super();
    this.#random = options?.random ?? Math.random;
    this.#options = resolveRegistryOptions(options, this.#random);
    this.#placer = options.placer;
    this.#ownsStore = options.store === undefined;
    this.#store = options.store ?? new MemoryStateStore();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#gateway = new ExchangeGateway({
      placer: this.#placer,
      concurrency: this.#options.concurrency,
      timeoutMs: this.#options.timeoutMs,
      retry: this.#options.retry,
      clock: this.#clock,
      random: this.#random,
      track: (work) => this.#track(work),
      onLateOrderCancelled: (order, key) => this.#compensated(key, order, 'late-answer'),
      onTimeout: (operation, key) => this.#logger.warn('Exchange call timed out; outcome unknown', { operation, key }),
    });
    this.#host = this.#createSyncHost();
    this.#reconciler = new Reconciler(this.#createReconcilerHost());
  }

  /** This registry's owner id (recorded in its claims). */
  get owner(): string {
    return this.#options.owner;
  }

  /** Number of stops in memory (any state). */
  get size(): number {
    return this.#stops.size;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Counters and gauges, as a fresh object. */
  get stats(): RegistryStats {
    const gateway = this.#gateway.counters;
    return {
      ...this.#counters,
      timedOut: gateway.timedOut,
      inFlight: this.#work + gateway.inFlight,
      exchangeCalls: gateway.exchangeCalls,
      compensated: this.#counters.compensated,
      size: this.#stops.size,
    };
  }

  /** The stop for `key`, if this registry holds one. */
  get(key: string): TrailingStop | undefined {
    return this.#stops.get(key)?.facade;
  }

  /** True when this registry holds a stop for `key`. */
  has(key: string): boolean {
    return this.#stops.has(key);
  }

  /** Every stop this registry holds, in creation order. */
  list(): TrailingStop[] {
    return [...this.#stops.values()].map((entry) => entry.facade);
  }

  /**
   * Creates the trailing stop for a position, once and only once per key however many callers
   * race (I1, I2). With an initial stop (`initialStopPrice` / `stopLossPercent`), or an activation
   * already reached at entry, the protective order is placed before the promise resolves; without
   * one the stop waits for activation and its first order is placed then.
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
    } catch (error) {
      const failure = error as TrailingStopError;
      this.#emitError(failure, { operation: 'create', key: failure.key });
      return Promise.reject(failure);
    }
    const key = input.key;
    const live = this.#stops.get(key);
    if (live !== undefined && this.#reusable(live, input)) return Promise.resolve(live.facade);
    const flight = this.#creations.get(key);
    if (flight !== undefined && (input.positionId === undefined || input.positionId === flight.positionId)) {
      this.#counters.coalesced++;
      return this.#detach(flight.promise.then((entry) => entry.facade), options.signal);
    }
    // A different position while one is being created: it starts after that one settles.
    const previous = flight?.promise.catch(() => undefined);
    const promise = (previous === undefined ? this.#runCreation(input) : previous.then(() => this.#runCreation(input))).then(
      (entry) => {
        this.#endFlight(key, current);
        return entry;
      },
      (error: unknown) => {
        this.#endFlight(key, current);
        const failure =
          error instanceof TrailingStopError
            ? error
            : new PlacementError(`Creating the stop for ${key} failed`, { cause: error, key });
        this.#emitError(failure, { operation: 'create', key });
        throw failure;
      },
    );
    const current: Flight = { promise, positionId: input.positionId };
    this.#creations.set(key, current);
    return this.#detach(promise.then((entry) => entry.facade), options.signal);
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
   */
  updatePrice(symbol: string, price: number, timestamp?: number): void {
    // Kept small so engines inline it into the caller's feed loop: the work is in #advance.
    if (!(price > 0 && price < Number.POSITIVE_INFINITY)) throw invalidPrice(price);
    if (timestamp !== undefined && this.#isStale(symbol, timestamp)) return;
    const followed = this.#bySymbol.get(symbol);
    if (followed === undefined) return;
    if (followed instanceof StopEntry) this.#advance(followed, price);
    else for (let index = 0; index < followed.length; index++) this.#advance(followed[index]!, price);
  }

  /** One stop, one price: the policy decides; only a change goes further. */
  #advance(entry: StopEntry, price: number): void {
    const previousStopPrice = entry.stopPrice;
    const flags = advancePolicy(entry, entry.parameters, price);
    if (flags !== 0) this.#onPolicyChange(entry, flags, price, previousStopPrice);
  }

  /** True when `timestamp` is older than the newest tick seen for `symbol` (which it records). */
  #isStale(symbol: string, timestamp: number): boolean {
    const last = this.#lastTimestamp.get(symbol);
    if (last !== undefined && timestamp < last) return true;
    this.#lastTimestamp.set(symbol, timestamp);
    return false;
  }

  /**
   * Feeds a new ATR to a stop trailing by `atr`: a smaller ATR tightens the stop, a larger one
   * never loosens it.
   */
  updateAtr(key: string, atr: number): void {
    const message = checkNumber('atr', atr, positive);
    if (message !== undefined) throw new ValidationError('atr', message, { key });
    const entry = this.#stops.get(key);
    if (entry === undefined) throw new NotFoundError(key);
    if (entry.parameters.distanceKind !== 'atr') throw new ValidationError('atr', `The stop for ${key} does not trail by ATR`, { key });
    if (!entry.live) return;
    const previousStopPrice = entry.policy.stopPrice;
    const flags = updateAtr(entry.policy, entry.parameters, atr);
    if (flags !== 0) this.#onPolicyChange(entry, flags, entry.policy.bestPrice, previousStopPrice);
  }

  /**
   * Changes the protected quantity (partial fill, DCA, partial exit) and re-places the stop for
   * the new size, make-before-break. Resolves once the venue holds it (or at once when the stop
   * has no order yet).
   */
  async resize(key: string, quantity: number): Promise<TrailingStop> {
    if (this.#closed) throw new ClosedError();
    const message = checkNumber('quantity', quantity, positive);
    if (message !== undefined) throw new ValidationError('quantity', message, { key });
    const entry = this.#stops.get(key);
    if (entry === undefined) throw new NotFoundError(key);
    if (!entry.live) throw new ValidationError('key', `The stop for ${key} is ${entry.state} and cannot be resized`, { key });
    entry.quantity = quantity;
    this.#beginWork();
    try {
      await entry.sync.idle();
      if (entry.parameters.mode === 'exchange' && entry.order !== null) {
        entry.sync.request();
        await entry.sync.idle();
      } else {
        await this.#write(entry);
      }
      if (entry.state === 'failed') throw new PlacementError(`Resizing the stop for ${key} failed`, { key });
      return entry.facade;
    } finally {
      this.#endWork();
    }
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
    this.#beginWork();
    try {
      const flight = this.#creations.get(key);
      if (flight !== undefined) await flight.promise.catch(() => undefined);
      const entry = this.#stops.get(key);
      if (entry !== undefined) {
        await this.#retire(entry, reason);
        return true;
      }
      const record = await this.#store.load(key);
      if (record === undefined) return false;
      if (record.order !== null) await this.#gateway.cancelStop(record.order, key);
      await this.#deleteRecord(key, record);
      this.#counters.removed++;
      this.emit('removed', { ...StopEntry.fromRecord(record, clientOrderIdBaseOf(record.clientOrderId)).snapshot(), state: 'closed' }, reason);
      return true;
    } catch (error) {
      if (error instanceof TrailingStopError) this.#emitError(error, { operation: 'remove', key });
      throw error;
    } finally {
      this.#endWork();
    }
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
    this.#beginWork();
    try {
      return await this.#reconciler.restore(options);
    } finally {
      this.#endWork();
    }
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
    this.#beginWork();
    try {
      return await this.#reconciler.reconcile(options);
    } finally {
      this.#endWork();
    }
  }

  /** Resolves when no creation, removal, sync or exchange call is in flight (throttle timers may be pending). */
  onIdle(): Promise<void> {
    if (this.#work === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Refuses new work ({@link ClosedError}), stops throttle timers, and waits for work in flight.
   * Closes the store only when the registry created it (the default memory store).
   */
  async close(): Promise<void> {
    if (this.#closed) return this.onIdle();
    this.#closed = true;
    for (const entry of this.#stops.values()) entry.sync.cancel();
    await this.onIdle();
    if (this.#ownsStore) await this.#store.close();
  }

  // ---- creation ----------------------------------------------------------------------------

  #reusable(entry: StopEntry, input: ValidatedSpec): boolean {
    if (entry.retiring || entry.state === 'failed' || entry.state === 'triggered' || entry.state === 'closed') return false;
    return input.positionId === undefined || input.positionId === entry.positionId;
  }

  #endFlight(key: string, flight: Flight | undefined): void {
    if (flight !== undefined && this.#creations.get(key) === flight) this.#creations.delete(key);
  }

  async #runCreation(input: ValidatedSpec): Promise<StopEntry> {
    this.#beginWork();
    try {
      const key = input.key;
      const previous = this.#stops.get(key);
      if (previous !== undefined) {
        if (this.#reusable(previous, input)) return previous;
        await this.#retire(previous, 'replaced');
      }
      let entry = this.#newEntry(input);
      this.#creatingBases.add(entry.clientOrderIdBase);
      const claim = await this.#claim(entry, input).finally(() => this.#creatingBases.delete(entry.clientOrderIdBase));
      if (claim.kind === 'adopt') return this.#adopt(claim.record);
      if (claim.takeover) entry = this.#entryFromRecord(claim.record);
      entry.version = claim.record.version;
      this.#creatingBases.add(entry.clientOrderIdBase);
      let order: StopOrder | null;
      try {
        order = await this.#placeInitial(entry, claim.takeover);
      } catch (error) {
        this.#creatingBases.delete(entry.clientOrderIdBase);
        return await this.#creationFailed(entry, error);
      }
      this.#creatingBases.delete(entry.clientOrderIdBase);
      // Double-check: pending -> waiting/active, only if nobody changed the claim meanwhile.
      entry.order = order;
      if (order !== null) {
        entry.syncedStopPrice = entry.policy.stopPrice;
        entry.syncedQuantity = entry.quantity;
        entry.lastSyncAt = this.#clock.now();
      }
      entry.state = entry.policy.activated ? 'active' : 'waiting';
      const now = this.#clock.now();
      const next = entry.toRecord(entry.version + 1, this.owner, now);
      const result = await this.#store.compareAndSet(next, entry.version);
      if (!result.updated) return await this.#lostRace(entry, order, result.current);
      entry.version = next.version;
      entry.updatedAt = now;
      this.#publish(entry);
      this.#counters.created++;
      this.#emitStop('created', entry);
      return entry;
    } finally {
      this.#endWork();
    }
  }

  #newEntry(input: ValidatedSpec): StopEntry {
    const now = this.#clock.now();
    const positionId = input.positionId ?? this.#generatePositionId(now);
    const policy = createPolicyState(input.side, input.entryPrice, input.parameters, input.initialStopPrice);
    advancePolicy(policy, input.parameters, input.entryPrice);
    const maxLength = this.#placer.capabilities?.clientOrderIdMaxLength ?? defaultClientOrderIdMaxLength;
    const entry = new StopEntry({
      key: input.key,
      symbol: input.symbol,
      side: input.side,
      positionId,
      entryPrice: input.entryPrice,
      quantity: input.quantity,
      parameters: input.parameters,
      policy,
      clientOrderIdBase: clientOrderIdBase(this.#options.clientOrderIdPrefix, input.key, positionId, maxLength),
      sequence: 1,
      owner: this.owner,
      createdAt: now,
    });
    entry.sync = new StopSynchronizer(entry, this.#host);
    return entry;
  }

  #entryFromRecord(record: StopRecord): StopEntry {
    const entry = StopEntry.fromRecord(record, clientOrderIdBaseOf(record.clientOrderId));
    entry.sync = new StopSynchronizer(entry, this.#host);
    return entry;
  }

  #generatePositionId(now: number): string {
    const random = Math.floor(this.#random() * 36 ** 6).toString(36).padStart(6, '0');
    return `${now.toString(36)}${(this.#positionCounter++).toString(36)}${random}`;
  }

  /** Step 2 of the protocol: claim the key in the store, or find who owns it. */
  async #claim(entry: StopEntry, input: ValidatedSpec): Promise<Claim> {
    for (;;) {
      if (this.#closed) throw new ClosedError();
      const now = this.#clock.now();
      const pending = entry.toRecord(1, this.owner, now, { state: 'pending', leaseExpiresAt: now + this.#options.leaseMs });
      const result = await this.#store.insert(pending);
      if (result.inserted) return { kind: 'claimed', record: result.record, takeover: false };
      const existing = result.record;
      const terminal = existing.state === 'triggered' || existing.state === 'failed';
      const otherPosition = input.positionId !== undefined && input.positionId !== existing.positionId;
      if (terminal || otherPosition) {
        // A stale record of a finished (or another) position: clear it, then claim again. The same
        // position starts past the spent client order ids.
        if (existing.positionId === entry.positionId) entry.sequence = Math.max(entry.sequence, existing.sequence + 1);
        if (existing.order !== null && !terminal) await this.#gateway.cancelStop(existing.order, existing.key);
        await this.#store.delete(existing.key, existing.version);
        continue;
      }
      if (existing.state !== 'pending') return { kind: 'adopt', record: existing };
      if (existing.owner === this.owner || isExpiredClaim(existing, now)) {
        const taken = await takeOverExpiredClaim(this.#store, existing.key, this.owner, now, this.#options.leaseMs, {
          reclaimOwn: true,
        });
        if (taken !== undefined) return { kind: 'claimed', record: taken, takeover: true };
        continue;
      }
      const settled = await this.#waitForClaim(existing);
      if (settled !== undefined) return { kind: 'adopt', record: settled };
    }
  }

  /** Waits while another registry's live claim is pending; resolves its outcome, or undefined to claim again. */
  async #waitForClaim(claim: StopRecord): Promise<StopRecord | undefined> {
    for (;;) {
      await this.#sleep(this.#options.claimPollMs);
      if (this.#closed) throw new ClosedError();
      const current = await this.#store.load(claim.key);
      if (current === undefined || current.positionId !== claim.positionId) return undefined;
      if (current.state !== 'pending') return current.state === 'triggered' || current.state === 'failed' ? undefined : current;
      if (isExpiredClaim(current, this.#clock.now())) return undefined;
    }
  }

  /** Step 3: the slow work, outside any lock, under the concurrency bound. */
  async #placeInitial(entry: StopEntry, lookupFirst: boolean): Promise<StopOrder | null> {
    const parameters = entry.parameters;
    const side = entry.side === 'long' ? 'sell' : 'buy';
    if (parameters.mode === 'emulated') return null;
    if (parameters.mode === 'native') {
      return this.#gateway.placeTrailingStop(
        {
          symbol: entry.symbol,
          side,
          quantity: entry.quantity,
          callbackPercent: parameters.distanceValue,
          activationPrice: parameters.activationPrice,
          clientOrderId: entry.clientOrderId,
        },
        entry.key,
        { lookupFirst },
      );
    }
    const stopPrice = entry.policy.stopPrice;
    if (stopPrice !== stopPrice) return null;
    return this.#gateway.placeStop(
      { symbol: entry.symbol, side, quantity: entry.quantity, stopPrice, clientOrderId: entry.clientOrderId },
      entry.key,
      { lookupFirst },
    );
  }

  /** The initial order could not be placed: the stop stays visible as failed (or triggered on a gap). */
  async #creationFailed(entry: StopEntry, error: unknown): Promise<never> {
    const key = entry.key;
    const gap = error instanceof WouldTriggerError;
    const failure =
      error instanceof TrailingStopError ? error : new PlacementError(`Placing the stop for ${key} failed`, { cause: error, key });
    entry.state = gap ? 'triggered' : 'failed';
    this.#counters.failed++;
    const now = this.#clock.now();
    const next = entry.toRecord(entry.version + 1, this.owner, now);
    try {
      const result = await this.#store.compareAndSet(next, entry.version);
      if (result.updated) {
        entry.version = next.version;
        this.#stops.set(key, entry);
      }
    } catch (storeError) {
      this.#logger.error('Could not record a failed creation', { key, error: String(storeError) });
    }
    if (gap) {
      this.#counters.triggered++;
      const closedByMarket = await this.#closeOnGap(entry);
      this.emit('triggered', { stop: entry.snapshot(), price: entry.entryPrice, reason: 'gap', closedByMarket });
    } else {
      this.emit('failed', { stop: entry.snapshot(), error: failure });
    }
    throw failure;
  }

  /** Step 4 lost: cancel what this registry placed (unless the winner adopted that very order). */
  async #lostRace(entry: StopEntry, order: StopOrder | null, current: StopRecord | undefined): Promise<StopEntry> {
    this.#counters.racesLost++;
    this.emit('raceLost', { key: entry.key, winner: current?.owner, order });
    const samePosition = current !== undefined && current.positionId === entry.positionId;
    if (order !== null && samePosition && current.state === 'pending' && current.clientOrderId === order.clientOrderId) {
      // Another registry took this claim over and is resolving this very client order id: it will
      // find and adopt `order`. Cancelling it now would leave the position bare; wait instead.
      return this.#awaitTaker(entry, order, current);
    }
    const sameOrder = order !== null && current?.order?.id === order.id;
    if (order !== null && !sameOrder) await this.#compensate(entry.key, order, current === undefined ? 'removed' : 'race-lost');
    if (current === undefined || !samePosition) throw new RemovedError(entry.key);
    if (current.state === 'pending') {
      const settled = await this.#waitForClaim(current);
      if (settled === undefined) throw new RemovedError(entry.key);
      return this.#adopt(settled);
    }
    if (current.state === 'failed' || current.state === 'triggered') throw new RemovedError(entry.key);
    return this.#adopt(current);
  }

  /** After losing to a taker of our own claim: adopt its outcome; cancel `order` only if it kept another. */
  async #awaitTaker(entry: StopEntry, order: StopOrder, claim: StopRecord): Promise<StopEntry> {
    const latest = (await this.#waitForClaim(claim)) ?? (await this.#store.load(entry.key));
    if (latest !== undefined && latest.positionId === entry.positionId && latest.state === 'pending') {
      // The taker's lease lapsed too; whoever claims next resolves the same id and adopts `order`.
      throw new ClaimBusyError(entry.key, latest.owner);
    }
    const kept = latest !== undefined && latest.positionId === entry.positionId && latest.order?.id === order.id;
    if (!kept) await this.#compensate(entry.key, order, latest === undefined ? 'removed' : 'race-lost');
    if (latest === undefined || latest.positionId !== entry.positionId || latest.state === 'failed' || latest.state === 'triggered') {
      throw new RemovedError(entry.key);
    }
    return this.#adopt(latest);
  }

  /** Takes another registry's stop into memory (it won the claim). */
  #adopt(record: StopRecord): StopEntry {
    const existing = this.#stops.get(record.key);
    if (existing !== undefined && existing.positionId === record.positionId) {
      if (record.version > existing.version) existing.adopt(record);
      return existing;
    }
    const entry = this.#entryFromRecord(record);
    this.#publish(entry);
    this.#counters.adopted++;
    return entry;
  }

  /** Step 5: make the stop visible and let it follow prices. */
  #publish(entry: StopEntry): void {
    this.#stops.set(entry.key, entry);
    if (entry.live) this.#follow(entry);
  }

  #following(symbol: string): StopEntry[] {
    const current = this.#bySymbol.get(symbol);
    return current === undefined ? [] : current instanceof StopEntry ? [current] : current;
  }

  #follow(entry: StopEntry): void {
    // Copy-on-write: a tick loop in progress keeps iterating its own array.
    const others = this.#following(entry.symbol).filter((other) => other.key !== entry.key);
    this.#bySymbol.set(entry.symbol, others.length === 0 ? entry : [...others, entry]);
  }

  #unfollow(entry: StopEntry): void {
    const current = this.#following(entry.symbol);
    if (!current.includes(entry)) return;
    const remaining = current.filter((other) => other !== entry);
    if (remaining.length === 0) this.#bySymbol.delete(entry.symbol);
    else this.#bySymbol.set(entry.symbol, remaining.length === 1 ? remaining[0]! : remaining);
  }

  #detach<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal === undefined) return promise;
    return detachOnAbort(promise, signal, () => new AbortedError(undefined, { cause: signal.reason }));
  }

  // ---- prices ------------------------------------------------------------------------------

  #onPolicyChange(entry: StopEntry, flags: number, price: number, previousStopPrice: number): void {
    if ((flags & ACTIVATED) !== 0) {
      entry.state = 'active';
      this.#emitStop('activated', entry);
    }
    if ((flags & BREAKEVEN) !== 0) this.#emitStop('breakeven', entry);
    if ((flags & STOP_MOVED) !== 0) {
      this.#counters.moves++;
      if (this.listenerCount('stopMoved') > 0) {
        this.emit('stopMoved', {
          stop: entry.snapshot(),
          previousStopPrice: previousStopPrice === previousStopPrice ? previousStopPrice : null,
          stopPrice: entry.policy.stopPrice,
          onExchange: entry.syncedStopPrice === entry.policy.stopPrice,
        });
      }
    }
    if ((flags & TRIGGERED) !== 0) {
      this.#trigger(entry, price);
      return;
    }
    if ((flags & (STOP_MOVED | ACTIVATED)) !== 0) entry.sync.request();
  }

  #trigger(entry: StopEntry, price: number): void {
    entry.state = 'triggered';
    entry.sync.cancel();
    this.#unfollow(entry);
    this.#counters.triggered++;
    const mode = entry.parameters.mode;
    let reason: TriggerReason = 'stop';
    if (mode === 'exchange') {
      const order = entry.order;
      if (order === null || entry.policy.direction * (price - order.stopPrice) > 0) reason = 'gap';
    }
    const closeByMarket =
      mode === 'emulated' || (reason === 'gap' && entry.parameters.closeOnGap && this.#placer.closePosition !== undefined);
    this.#track(
      (async () => {
        await entry.sync.idle();
        if (closeByMarket) await this.#closeByMarket(entry);
        await this.#write(entry);
      })().catch((error: unknown) => {
        const failure =
          error instanceof TrailingStopError ? error : new PlacementError(`Handling the trigger of ${entry.key} failed`, { cause: error, key: entry.key });
        this.#emitError(failure, { operation: 'trigger', key: entry.key });
      }),
    );
    this.emit('triggered', { stop: entry.snapshot(), price, reason, closedByMarket: closeByMarket });
  }

  async #closeOnGap(entry: StopEntry): Promise<boolean> {
    if (!entry.parameters.closeOnGap || this.#placer.closePosition === undefined) return false;
    try {
      await this.#closeByMarket(entry);
      return true;
    } catch (error) {
      const failure = error instanceof TrailingStopError ? error : new PlacementError('Closing on a gap failed', { cause: error, key: entry.key });
      this.#emitError(failure, { operation: 'trigger', key: entry.key });
      return false;
    }
  }

  /** Reduce-only market close, then the resting stop (if any) goes: the position is flat. */
  async #closeByMarket(entry: StopEntry): Promise<void> {
    await this.#gateway.closePosition(
      {
        symbol: entry.symbol,
        side: entry.side === 'long' ? 'sell' : 'buy',
        quantity: entry.quantity,
        // Sequence 0 is never a stop's: the close has its own deterministic id.
        clientOrderId: clientOrderIdFor(entry.clientOrderIdBase, 0),
      },
      entry.key,
    );
    if (entry.order !== null) {
      await this.#gateway.cancelStop(entry.order, entry.key);
    }
  }

  // ---- removal -----------------------------------------------------------------------------

  /** Cancels the entry's order, deletes its record, forgets it, emits `removed`. */
  async #retire(entry: StopEntry, reason: string): Promise<void> {
    const wasLive = entry.live;
    entry.retiring = true;
    entry.sync.cancel();
    this.#unfollow(entry);
    try {
      await entry.sync.idle();
      if (entry.order !== null) await this.#gateway.cancelStop(entry.order, entry.key);
      const record = await this.#store.load(entry.key);
      if (record !== undefined && record.positionId === entry.positionId) {
        if (record.order !== null && record.order.id !== entry.order?.id) {
          await this.#gateway.cancelStop(record.order, entry.key);
        }
        await this.#deleteRecord(entry.key, record);
      }
    } catch (error) {
      // The order may still be live: keep the stop, so the caller can retry.
      entry.retiring = false;
      if (wasLive) this.#follow(entry);
      throw error;
    }
    if (this.#stops.get(entry.key) === entry) this.#stops.delete(entry.key);
    entry.state = 'closed';
    this.#counters.removed++;
    this.emit('removed', entry.snapshot(), reason);
  }

  /** Deletes the record, guarded by version; on a conflict re-reads and tries again. */
  async #deleteRecord(key: string, record: StopRecord): Promise<void> {
    let current: StopRecord | undefined = record;
    for (let attempt = 0; attempt < 5 && current !== undefined; attempt++) {
      if (await this.#store.delete(key, current.version)) return;
      const latest: StopRecord | undefined = await this.#store.load(key);
      if (latest === undefined || latest.positionId !== record.positionId) return;
      if (latest.order !== null && latest.order.id !== current.order?.id) {
        await this.#gateway.cancelStop(latest.order, key);
      }
      current = latest;
    }
    throw new StoreConflictError(`Could not delete the record for ${key}: it kept changing`, { key });
  }

  // ---- store writes and sync host ----------------------------------------------------------

  /**
   * Writes the entry's state as the next version (compare-and-set), one write per entry at a
   * time. On a conflict with the same position, the newer stored state is merged in and the write
   * retried on top of it; `gone` when the record was removed or belongs to another position.
   */
  #write(entry: StopEntry, overrides: Partial<StopRecord> = {}): Promise<WriteOutcome> {
    const run = entry.writes.then(async (): Promise<WriteOutcome> => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const now = this.#clock.now();
        const next = entry.toRecord(entry.version + 1, this.owner, now, overrides);
        const result = await this.#store.compareAndSet(next, entry.version);
        if (result.updated) {
          entry.version = next.version;
          entry.owner = this.owner;
          entry.updatedAt = now;
          return 'written';
        }
        const current = result.current;
        if (current === undefined || current.positionId !== entry.positionId) return 'gone';
        this.#counters.racesLost++;
        const mine = entry.order;
        const mySequence = entry.sequence;
        const state = entry.state;
        const theirs = current.order;
        entry.adopt(current);
        let kept = mine ?? theirs;
        if (mine !== null && theirs !== null && theirs.id !== mine.id && theirs.status !== 'cancelled') {
          // Another registry moved the same stop: both orders are live; keep the tighter one.
          const keepMine = entry.policy.direction * (mine.stopPrice - theirs.stopPrice) >= 0;
          const loser = keepMine ? theirs : mine;
          await this.#compensate(entry.key, loser, 'race-lost');
          kept = keepMine ? mine : theirs;
        }
        if (kept === mine) entry.sequence = mySequence;
        entry.order = kept;
        entry.syncedStopPrice = kept === null ? Number.NaN : kept.stopPrice;
        entry.syncedQuantity = kept === null ? Number.NaN : kept.quantity;
        if (state === 'triggered' || state === 'failed') entry.state = state;
      }
      return 'conflict';
    });
    entry.writes = run.catch(() => undefined);
    return run;
  }

  #createReconcilerHost(): ReconcilerHost {
    const registry = this;
    return {
      store: this.#store,
      gateway: this.#gateway,
      placer: this.#placer,
      clock: this.#clock,
      logger: this.#logger,
      owner: this.owner,
      leaseMs: this.#options.leaseMs,
      clientOrderIdPrefix: this.#options.clientOrderIdPrefix,
      stops: this.#stops,
      isCreating: (key) => this.#creations.has(key),
      isCreatingBase: (base) => this.#creatingBases.has(base),
      entryFromRecord: (record) => this.#entryFromRecord(record),
      publish: (entry) => this.#publish(entry),
      unfollow: (entry) => this.#unfollow(entry),
      trigger: (entry, price) => this.#trigger(entry, price),
      write: (entry) => this.#write(entry),
      compensate: (key, order, reason) => this.#compensate(key, order, reason),
      placeInitial: (entry, lookupFirst) => this.#placeInitial(entry, lookupFirst),
      removedElsewhere: (entry, orphan) => this.#host.removedElsewhere(entry, orphan),
      reconciled(event) {
        registry.#logger.info('Reconciled', { key: event.key, action: event.action, detail: event.detail });
        registry.emit('reconciled', event);
      },
      corrupt: (event) => this.emit('corruptRecord', event),
      error: (error, context) => this.#emitError(error, context),
    };
  }

  #createSyncHost(): SyncHost {
    return {
      gateway: this.#gateway,
      clock: this.#clock,
      write: (entry, overrides) => this.#write(entry, overrides),
      synced: (entry, order) => {
        if (this.listenerCount('stopSynced') > 0) this.emit('stopSynced', entry.snapshot(), order);
      },
      failed: (entry, error) => {
        entry.state = 'failed';
        entry.sync.cancel();
        this.#unfollow(entry);
        this.#counters.failed++;
        this.#track(this.#write(entry).catch(() => undefined));
        this.#logger.error('Could not keep the stop on the venue; the previous stop stays', { key: entry.key, code: error.code });
        this.emit('failed', { stop: entry.snapshot(), error });
        this.#emitError(error, { operation: 'sync', key: entry.key });
      },
      gap: (entry, error) => {
        this.#logger.warn('Stop would trigger immediately: gap', { key: entry.key, message: error.message });
        entry.policy.triggered = true;
        // The market price is unknown here; the refused stop price is where it was crossed.
        this.#trigger(entry, entry.policy.stopPrice);
      },
      removedElsewhere: (entry, orphan) => {
        entry.retiring = true;
        entry.sync.cancel();
        this.#unfollow(entry);
        if (this.#stops.get(entry.key) === entry) this.#stops.delete(entry.key);
        entry.state = 'closed';
        if (orphan !== null) void this.#compensate(entry.key, orphan, 'removed');
        this.#counters.removed++;
        this.emit('removed', entry.snapshot(), 'removed-elsewhere');
      },
      refresh: async (entry) => {
        const record = await this.#store.load(entry.key);
        if (record === undefined || record.positionId !== entry.positionId) return 'gone';
        if (record.version > entry.version) {
          const state = entry.state;
          entry.adopt(record);
          if (state === 'active' && entry.state === 'waiting') entry.state = state;
        }
        return 'ok';
      },
      storeFailed: (entry, error) => {
        const failure = error instanceof TrailingStopError ? error : new StoreError(`Persisting the stop for ${entry.key} failed`, { cause: error, key: entry.key });
        this.#emitError(failure, { operation: 'sync', key: entry.key });
      },
      unprotected: (ms) => {
        this.#counters.unprotectedMs += ms;
      },
      beginWork: () => this.#beginWork(),
      endWork: () => this.#endWork(),
    };
  }

  /**
   * Cancels an order nothing may keep (lost race, removal meanwhile). Never rejects: it tries
   * several retry budgets, then reports an error and leaves the order to the orphan sweep.
   */
  #compensate(key: string, order: StopOrder, reason: 'race-lost' | 'removed'): Promise<void> {
    const work = (async () => {
      let lastError: unknown;
      for (let round = 0; round < 3; round++) {
        try {
          await this.#gateway.cancelStop(order, key);
          this.#compensated(key, order, reason);
          return;
        } catch (error) {
          lastError = error;
        }
      }
      const failure =
        lastError instanceof TrailingStopError
          ? lastError
          : new PlacementError(`Could not cancel order ${order.id}; reconciliation will sweep it`, { cause: lastError, key });
      this.#emitError(failure, { operation: 'reconcile', key });
    })();
    this.#track(work);
    return work;
  }

  /** Emits an event whose payload is the stop's snapshot, building the snapshot only for listeners. */
  #emitStop(name: 'created' | 'activated' | 'breakeven', entry: StopEntry): void {
    if (this.listenerCount(name) > 0) this.emit(name, entry.snapshot());
  }

  #compensated(key: string, order: StopOrder, reason: 'race-lost' | 'late-answer' | 'removed'): void {
    this.#counters.compensated++;
    this.emit('compensated', { key, order, reason });
  }

  #emitError(error: TrailingStopError, context: ErrorContext): void {
    this.#logger.warn(error.message, { code: error.code, key: context.key, operation: context.operation });
    // eventemitter3 drops an unheard `error`; the caller's promise carries it too (I6).
    this.emit('error', error, context);
  }

  // ---- work accounting ---------------------------------------------------------------------

  #beginWork(): void {
    this.#work++;
  }

  #endWork(): void {
    this.#work--;
    if (this.#work === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #track(work: Promise<unknown>): void {
    this.#beginWork();
    work.then(
      () => this.#endWork(),
      () => this.#endWork(),
    );
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
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

function invalidPrice(price: number): ValidationError {
  return new ValidationError('price', checkNumber('price', price, positive) ?? 'Expected `price` to be positive');
}

