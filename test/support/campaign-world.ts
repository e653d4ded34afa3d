/**
 * The world of the fault campaign: one `PaperExchange` venue and one store (memory or SQLite)
 * shared by two or three registry slots. Each slot is one bot process: its placer and store are
 * its own fault-injecting decorators (`FaultyPlacer`, `FaultyStore`) over the shared, scheduled
 * venue and store, and each incarnation of the process (a start, a restart after a crash or a
 * close) is wrapped in its own {@link Crash}, so a crash at any await kills exactly that
 * incarnation. Every answer and timer goes through one scheduler, the clock is virtual, and
 * monitors on the venue and the store record what must never happen at any moment.
 *
 * The registry under test is a {@link Variant}: the real `TrailingStopRegistry`, a naive variant
 * (test/naive/), or the real one with a mutation injected through a public seam.
 */
import type { Excuse } from './campaign-open-defects.js';
import Database from 'better-sqlite3';
import {
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  type Clock,
  type CreateStopSpec,
  type ErrorContext,
  type OrderPlacer,
  type StateStore,
  type TrailingStop,
  type TrailingStopError,
} from '../../src/index.js';
import { SqliteStateStore } from '../../src/stores/sqlite.js';
import { FaultyPlacer, FaultyStore, type PlacerFaultRule, type StoreFaultRule } from '../../src/testing/index.js';
import { Crash, type CrashPoint } from './crash.js';
import { interceptPlacer, interceptStore } from './intercept.js';
import { scheduledPlacer, scheduledStore } from './scheduled.js';
import { StoreMonitor, VenueMonitor, Violations } from './campaign-monitors.js';
import { asFastCheckScheduler, drain, drive, seededRandom, VirtualClock, type StepScheduler, type TimeMode } from './campaign-scheduler.js';

/** The keys (and symbols) the campaign trades. */
export const campaignKeys = ['BTC', 'ETH'] as const;

/** One of {@link campaignKeys}. */
export type CampaignKey = (typeof campaignKeys)[number];

/** What the campaign reads of a stop (a `TrailingStop` has all of it; a naive variant may not say when it was created). */
export type CampaignStop = Pick<TrailingStop, 'key' | 'positionId' | 'state' | 'version' | 'order' | 'stopPrice' | 'quantity' | 'side' | 'entryPrice'> &
  Partial<Pick<TrailingStop, 'createdAt'>>;

/** The public surface the campaign drives; `TrailingStopRegistry` has it, naive variants imitate it. */
export interface CampaignRegistry {
  readonly owner: string;
  create(spec: CreateStopSpec): Promise<CampaignStop>;
  createMany(specs: readonly CreateStopSpec[]): Promise<PromiseSettledResult<CampaignStop>[]>;
  updatePrice(symbol: string, price: number, timestamp?: number): void;
  resize(key: string, quantity: number): Promise<CampaignStop>;
  remove(key: string): Promise<boolean>;
  restore(options: { prices: Record<string, number> }): Promise<unknown>;
  reconcile(options: { prices: Record<string, number> }): Promise<unknown>;
  close(): Promise<void>;
  onIdle(): Promise<void>;
  get(key: string): CampaignStop | undefined;
  /** `error` events: `(error, context)`, or one `{ error, key, operation }` payload. */
  on(event: 'error', listener: (...args: unknown[]) => void): unknown;
}

/** The ports one registry incarnation gets, and the options its world asks for. */
export interface RegistryPorts {
  readonly placer: OrderPlacer;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly owner: string;
  readonly random: () => number;
  /** Registry options of this world (e.g. `revalidateAfterMs: 0` without a change feed). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** A registry under test. */
export interface Variant {
  readonly name: string;
  /** False when `get()` does not return real stops (naive variants): the memory checks are skipped. */
  readonly memoryView: boolean;
  /** Builds one incarnation on `ports`; may wrap them (mutations through public seams). */
  build(ports: RegistryPorts): CampaignRegistry;
  /** Wraps the shared store under every slot (mutations of the store). */
  wrapStore?(store: StateStore): StateStore;
}

/** Registry options of the campaign: short timeouts, leases and backoffs in virtual time; no throttle. */
export const campaignRegistryOptions = {
  timeoutMs: 1_000,
  concurrency: 4,
  leaseMs: 5_000,
  claimPollMs: 100,
  retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 40 },
  activationPercent: 1,
  callbackPercent: 1,
  minUpdateIntervalMs: 0,
  minImprovementPercent: 0,
} as const;

/** The real `TrailingStopRegistry`. */
export const realRegistry: Variant = {
  name: 'TrailingStopRegistry',
  memoryView: true,
  build: ({ options, ...ports }) => new TrailingStopRegistry({ ...campaignRegistryOptions, ...options, ...ports }),
};

/** The fault schedules of one slot. */
export interface SlotFaults {
  readonly placer: readonly PlacerFaultRule[];
  readonly store: readonly StoreFaultRule[];
}

/** Everything about a run but its commands. */
export interface CampaignSetup {
  readonly store: 'memory' | 'sqlite';
  /** The venue moves stops in place (Bybit-like) instead of make-before-break. */
  readonly amend: boolean;
  /** One entry per registry slot (two or three). */
  readonly slots: readonly SlotFaults[];
  /** How time passes (see {@link TimeMode}). */
  readonly time: TimeMode;
  /** The venue streams order updates (`watchOrders`): fills and cancels by hand reach the registries. */
  readonly stream: boolean;
  /**
   * The store's change feed (`watch`) reaches the registries. Without it each registry re-reads a
   * record before acting on it (`revalidateAfterMs: 0`), its documented fallback.
   */
  readonly watch: boolean;
}

/** One run of one registry slot: from a start to its crash, close or the end. */
export class Incarnation {
  readonly slot: Slot;
  readonly number: number;
  readonly crash: Crash;
  readonly registry: CampaignRegistry;
  /** Settles when this incarnation crashed. */
  readonly died: Promise<void>;
  /** Tightest stop price each stop object of this incarnation ever showed (I5 in memory). */
  readonly tightest = new WeakMap<object, number>();
  /** Every `error` event, in order. */
  readonly errors: { readonly error: TrailingStopError; readonly context: ErrorContext }[] = [];
  /** Port calls made after `close()` resolved (must stay empty). */
  readonly callsAfterClose: string[] = [];
  /** Set while a crash countdown is armed: the incarnation dies at the `remaining`-th matching call. */
  armed: { remaining: number; readonly when: 'before' | 'after' } | undefined = undefined;
  /** `close()` was called. */
  closing = false;
  /** `close()` resolved. */
  closed = false;
  /** Settles when the operation of `close()` settled (or the incarnation crashed). */
  closeDone: Promise<unknown> | undefined = undefined;
  /** A restart waits for this incarnation's close: a second restart meanwhile starts no second process. */
  restartPending = false;
  #dead = false;
  #die: () => void = () => {};
  readonly #world: World;

  constructor(slot: Slot, number: number, world: World, faultFree: boolean) {
    this.#world = world;
    this.slot = slot;
    this.number = number;
    this.died = new Promise((resolve) => (this.#die = resolve));
    this.crash = new Crash((point) => this.#hook(point));
    const base = faultFree ? world.scheduledVenue : slot.placer;
    // The crash and counting wrappers carry the calls; the order stream reaches only a living process.
    const placer = withOrderStream(this.crash.placer(this.#counting(base)), base, () => !this.#dead);
    const storeBase = faultFree ? world.scheduledStore : slot.store;
    const store = withChangeFeed(this.crash.store(this.#countingStore(storeBase)), storeBase, () => !this.#dead);
    this.registry = world.variant.build({
      placer,
      store,
      clock: this.crash.clock(world.clock),
      owner: slot.owner,
      random: seededRandom(slot.index * 1_000 + number),
      options: world.registryOptions,
    });
    this.registry.on('error', ((first: unknown, second?: unknown) => {
      // Either event shape: (error, context) or one payload carrying both.
      const error = (first instanceof Error ? first : (first as { error: TrailingStopError }).error) as TrailingStopError;
      const context = (second ?? first) as ErrorContext;
      this.errors.push({ error, context });
    }) as (...args: unknown[]) => void);
  }

  /** True once crashed. */
  get dead(): boolean {
    return this.#dead;
  }

  /** True while it takes new work: not crashed, `close()` not called. */
  get live(): boolean {
    return !this.#dead && !this.closing;
  }

  /** Kills the incarnation now. */
  kill(): void {
    this.crash.crash();
    this.#markDead();
  }

  /** `promise`, or never once the incarnation crashed (its promises never settle then). */
  unlessDead<T>(promise: Promise<T>): Promise<T | undefined> {
    return Promise.race([promise, this.died.then(() => undefined)]);
  }

  /** A short name for messages: `bot-1#2`. */
  toString(): string {
    return `${this.slot.owner}#${this.number}`;
  }

  #hook(point: CrashPoint): boolean {
    const armed = this.armed;
    if (armed === undefined || armed.when !== point.when) return false;
    armed.remaining -= 1;
    if (armed.remaining > 0) return false;
    this.armed = undefined;
    this.#markDead();
    return true;
  }

  #markDead(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#world.crashedSinceHeal = true;
    this.#world.crashes++;
    this.#die();
  }

  #counting(placer: OrderPlacer): OrderPlacer {
    return interceptPlacer(placer, (operation, _argument, call) => {
      if (this.closed) this.callsAfterClose.push(`placer.${operation}`);
      return call();
    });
  }

  #countingStore(store: StateStore): StateStore {
    return interceptStore(store, (operation, _argument, call) => {
      if (this.closed) this.callsAfterClose.push(`store.${operation}`);
      return call();
    });
  }
}

/** One bot process: its owner id, its fault-injecting ports, and its incarnations. */
export class Slot {
  readonly index: number;
  readonly owner: string;
  readonly placer: FaultyPlacer;
  readonly store: FaultyStore;
  readonly incarnations: Incarnation[] = [];

  constructor(index: number, faults: SlotFaults, world: World) {
    this.index = index;
    this.owner = `bot-${index}`;
    const onInject = (fault: { fault: { kind: string } }) => {
      if (fault.fault.kind === 'lose-order') world.lostSinceHeal = true;
    };
    this.placer = new FaultyPlacer(world.scheduledVenue, faults.placer, { onInject });
    this.store = new FaultyStore(world.scheduledStore, faults.store, { clock: world.clock });
  }

  /** The latest incarnation. */
  get current(): Incarnation {
    return this.incarnations.at(-1)!;
  }
}

/** An operation started by a command; settled (or abandoned with a crash) by the next settle. */
export interface Operation {
  /** The command that started it, as printed. */
  readonly command: string;
  readonly kind: 'create' | 'remove' | 'resize' | 'restore' | 'reconcile' | 'close' | 'restart';
  readonly incarnation: Incarnation;
  readonly key?: CampaignKey;
  /** For creations: the spec as sent (valid or not), and whether it was valid. */
  readonly spec?: CreateStopSpec;
  readonly valid?: boolean;
  /** For creations: started through `createMany` (its results settle together). */
  readonly viaMany?: boolean;
  /** For resizes: the quantity asked for. */
  readonly quantity?: number;
  /** True when the incarnation was already closing when the operation started. */
  readonly afterClose: boolean;
  /** Scheduler steps taken before it started. */
  readonly startedAtStep: number;
  /** How many `error` events its incarnation had emitted when it started. */
  readonly errorsAtStart: number;
  outcome: { readonly status: 'pending' } | { readonly status: 'resolved'; readonly value: unknown } | { readonly status: 'rejected'; readonly error: unknown };
  settledAtStep: number | undefined;
  /** Settles when the operation settled or its incarnation crashed. */
  done: Promise<unknown>;
}

/** Unhandled rejections a world recorded for its own run (so a wider net does not count them twice). */
export const attributedRejections = new WeakSet<object>();

/** Most scheduler steps one settle may take before `onIdle()` counts as never resolving. */
export const stepsPerSettle = 4_000;

/** How far in virtual time a settle lets timers fire once every operation settled (confirmations, retries, polls). */
export const drainHorizonMs = 120_000;

/** See the module comment. */
export class World {
  readonly scheduler: StepScheduler;
  readonly variant: Variant;
  readonly setup: CampaignSetup;
  readonly clock: VirtualClock;
  readonly venue: PaperExchange;
  readonly violations = new Violations();
  /** The shared store as it really is (monitored, unscheduled, unfaulted): what the checks read. */
  readonly store: StateStore;
  readonly scheduledVenue: OrderPlacer;
  /** Registry options this world asks for (see {@link CampaignSetup.watch}). */
  readonly registryOptions: Readonly<Record<string, unknown>>;
  /** Told of fills and of cancels by hand, which are not the registries' doing. */
  readonly venueMonitor: VenueMonitor;
  /** Knows which orders lost their record while they rested on the venue. */
  readonly storeMonitor: StoreMonitor;
  readonly scheduledStore: StateStore;
  readonly slots: Slot[] = [];
  /** Market price per key. */
  readonly prices = new Map<CampaignKey, number>(campaignKeys.map((key) => [key, 100]));
  /** Timestamp of the last tick sent. */
  tick = 1;
  /** Scheduler steps taken so far, in all settles. */
  readonly steps = { count: 0 };
  /** Operations started since the last settle. */
  batch: Operation[] = [];
  /** Keys whose price moved since the last settle (a stop may have ended meanwhile). */
  readonly priced = new Set<CampaignKey>();
  /** Commands run so far, as printed (for failure messages). */
  readonly history: string[] = [];
  /** A crash happened since the last heal: its orphans and claims wait for a restart. */
  crashedSinceHeal = false;
  /** Crashes so far. */
  crashes = 0;
  /** An order was lost on the venue since the last heal: only reconciliation (or the order stream) can notice. */
  lostSinceHeal = false;
  /** The final heal began: the venue answers in time from now on. */
  healed = false;
  readonly #database: Database.Database | undefined;
  readonly #inner: StateStore;
  /** Rejections nobody handled while this world ran (a Node process exits on one by default). */
  readonly unhandled: unknown[] = [];
  readonly #onUnhandled = (reason: unknown) => {
    this.unhandled.push(reason);
    if (typeof reason === 'object' && reason !== null) attributedRejections.add(reason);
  };

  /** Problems matching it are not reported (a known, open defect; see the replay tests). */
  readonly excuse: Excuse | undefined;

  constructor(setup: CampaignSetup, scheduler: StepScheduler, variant: Variant, excuse?: Excuse) {
    this.excuse = excuse;
    this.setup = setup;
    process.on('unhandledRejection', this.#onUnhandled);
    this.scheduler = scheduler;
    this.variant = variant;
    this.clock = new VirtualClock(scheduler, setup.time);
    this.venue = new PaperExchange({ amend: setup.amend, clock: this.clock });
    if (setup.store === 'sqlite') {
      this.#database = new Database(':memory:');
      this.#inner = new SqliteStateStore({ database: this.#database });
    } else {
      this.#inner = new MemoryStateStore();
    }
    const venueMonitor = new VenueMonitor(
      this.violations,
      () => this.lostSinceHeal,
      () => (this.crashes > 0 ? ' (after a crash)' : ''),
    );
    this.venueMonitor = venueMonitor;
    const storeMonitor = new StoreMonitor(this.violations, venueMonitor);
    this.storeMonitor = storeMonitor;
    const raw = variant.wrapStore?.(this.#inner) ?? this.#inner;
    this.store = storeMonitor.wrap(raw);
    const fastCheck = asFastCheckScheduler(scheduler);
    const venue = this.venue;
    // Order updates race the other answers: each one is a task of the scheduler.
    const stream: OrderPlacer = {
      ...venue,
      placeStop: venue.placeStop.bind(venue),
      cancelStop: venue.cancelStop.bind(venue),
      watchOrders: (listener, options) =>
        venue.watchOrders((update) => void scheduler.schedule(Promise.resolve(), 'order update').then(() => listener(update)), options),
    };
    const scheduled = scheduledPlacer(venueMonitor.wrap(venue), fastCheck);
    this.scheduledVenue = setup.stream && typeof venue.watchOrders === 'function' ? withOrderStream(scheduled, stream, () => true) : scheduled;
    const scheduledWrites = scheduledStore(this.store, fastCheck);
    if (setup.watch && typeof raw.watch === 'function') {
      // Changes race the other answers too: each one is a task of the scheduler.
      const feed: StateStore = {
        ...scheduledWrites,
        watch: (listener, options) =>
          raw.watch!((change) => void scheduler.schedule(Promise.resolve(), 'store change').then(() => listener(change)), options),
      };
      this.scheduledStore = withChangeFeed(scheduledWrites, feed, () => true);
      this.registryOptions = {};
    } else {
      this.scheduledStore = { ...scheduledWrites, capabilities: { ...scheduledWrites.capabilities, watch: false } };
      this.registryOptions = supportsOption('revalidateAfterMs') ? { revalidateAfterMs: 0 } : {};
    }
    for (const [index, faults] of setup.slots.entries()) {
      const slot = new Slot(index, faults, this);
      this.slots.push(slot);
      this.startIncarnation(slot, false);
    }
  }

  /** Starts a new incarnation of `slot` (a process start); `faultFree` bypasses the slot's fault schedules. */
  startIncarnation(slot: Slot, faultFree: boolean): Incarnation {
    const incarnation = new Incarnation(slot, slot.incarnations.length + 1, this, faultFree);
    slot.incarnations.push(incarnation);
    return incarnation;
  }

  /** Current prices by symbol, for restore and reconcile. */
  pricesBySymbol(): Record<string, number> {
    return Object.fromEntries(this.prices);
  }

  /** Starts `run` on `incarnation` as an operation of the current batch. */
  start(
    incarnation: Incarnation,
    fields: Pick<Operation, 'command' | 'kind'> & Partial<Pick<Operation, 'key' | 'spec' | 'valid' | 'viaMany' | 'quantity' | 'errorsAtStart'>>,
    run: () => Promise<unknown>,
  ): Operation {
    const operation: Operation = {
      ...fields,
      incarnation,
      afterClose: incarnation.closing,
      startedAtStep: this.steps.count,
      outcome: { status: 'pending' },
      settledAtStep: undefined,
      done: Promise.resolve(),
      errorsAtStart: fields.errorsAtStart ?? incarnation.errors.length,
    };
    let promise: Promise<unknown>;
    try {
      promise = run();
    } catch (error) {
      promise = Promise.reject(error);
    }
    this.violations.trace?.push(`start ${incarnation} ${fields.command}`);
    operation.done = incarnation.unlessDead(
      promise.then(
        (value) => {
          this.violations.trace?.push(`resolved ${incarnation} ${fields.command}`);
          operation.outcome = { status: 'resolved', value };
          operation.settledAtStep = this.steps.count;
        },
        (error: unknown) => {
          this.violations.trace?.push(`rejected ${incarnation} ${fields.command}: ${String(error)}`);
          operation.outcome = { status: 'rejected', error };
          operation.settledAtStep = this.steps.count;
        },
      ),
    );
    this.batch.push(operation);
    return operation;
  }

  /** Incarnations that take work now. */
  liveIncarnations(): Incarnation[] {
    return this.slots.map((slot) => slot.current).filter((incarnation) => incarnation.live);
  }

  /**
   * Drives the scheduler until every operation of the batch settled and every live registry is
   * idle, within {@link stepsPerSettle} steps; throws `[idle]` otherwise (`onIdle()` must resolve
   * within a bounded number of scheduler steps).
   */
  async quiesce(): Promise<boolean> {
    for (let round = 0; round < 8; round++) {
      const live = this.liveIncarnations();
      const started = this.batch.length;
      const waits = [
        ...this.batch.map((operation) => operation.done),
        ...live.map((incarnation) => incarnation.unlessDead(incarnation.registry.onIdle())),
      ];
      const startedAt = this.steps.count;
      const outcome = await drive(this.scheduler, this.clock, Promise.all(waits), stepsPerSettle, this.steps);
      // Then let everything happen that can (late answers, order updates, timers of confirmations and retries).
      const drained = outcome === 'settled' ? await this.#drain() : outcome;
      if (drained !== 'settled') {
        const pending = this.batch.filter((operation) => operation.outcome.status === 'pending' && !operation.incarnation.dead);
        const busy = live.map((incarnation) => `${incarnation} inFlight=${inFlightOf(incarnation.registry) ?? '?'}`);
        const message =
          `[idle] onIdle() did not resolve: ${drained}${outcome === 'settled' ? ' while draining' : ''} after ${this.steps.count - startedAt} scheduler steps` +
            ` (${this.scheduler.count()} tasks left); pending: ${pending.map((operation) => `${operation.incarnation} ${operation.command}`).join('; ') || 'none'};` +
            ` registries: ${busy.join(', ')}`;
        // An open defect that keeps a registry busy is excused like any other (its replay holds it);
        // the world is not quiescent then, so the settle's checks are skipped.
        if (this.excuse?.test(message)) return false;
        throw new Error(message);
      }
      // Settling may start more work (a restart's restore) or leave some behind (a late cleanup).
      const idle = this.liveIncarnations().every((incarnation) => (inFlightOf(incarnation.registry) ?? 0) === 0);
      if (idle && this.batch.length === started) return true;
    }
    return true;
  }

  /** What the run did, in numbers (for the soak's closing figures). */
  summary(): Record<string, number> {
    const operations = this.slots.flatMap((slot) => slot.incarnations).length;
    return {
      incarnations: operations,
      faults: this.slots.reduce((sum, slot) => sum + slot.placer.injected.length + slot.store.injected.length, 0),
      orders: this.venue.allOrders().length,
      steps: this.steps.count,
      commands: this.history.length,
    };
  }

  async #drain(): Promise<'settled' | 'stuck' | 'exhausted'> {
    const mode = this.setup.time;
    // Timers set while draining wait in the clock, so the horizon bounds them in either mode.
    this.clock.mode = 'idle';
    try {
      return await drain(this.scheduler, this.clock, drainHorizonMs, stepsPerSettle, this.steps);
    } finally {
      this.clock.mode = this.healed ? 'idle' : mode;
    }
  }

  /** Releases the run's resources (the SQLite database). */
  dispose(): void {
    process.off('unhandledRejection', this.#onUnhandled);
    this.#database?.close();
  }
}

/**
 * `placer` with the order stream of `source` (when it has one), delivering updates only while
 * `open()` says so. The interceptors of test/support carry calls, not the stream.
 */
function withOrderStream(placer: OrderPlacer, source: OrderPlacer, open: () => boolean): OrderPlacer {
  const watch = source.watchOrders;
  if (watch === undefined) return placer;
  return {
    ...placer,
    watchOrders: (listener, options) =>
      watch.call(
        source,
        (update) => {
          if (open()) listener(update);
        },
        options,
      ),
  };
}

/**
 * `store` with the change feed of `source` (when it has one), delivering changes only while
 * `open()` says so. The interceptors of test/support carry calls, not the feed.
 */
function withChangeFeed(store: StateStore, source: StateStore, open: () => boolean): StateStore {
  const watch = source.watch;
  if (watch === undefined) return store;
  return {
    ...store,
    watch: (listener, options) =>
      watch.call(
        source,
        (change) => {
          if (open()) listener(change);
        },
        options,
      ),
  };
}

/** True when this build of the registry knows the option (older builds refuse unknown names). */
function supportsOption(name: string): boolean {
  try {
    new TrailingStopRegistry({ placer: new PaperExchange(), [name]: 0 } as never);
    return true;
  } catch {
    return false;
  }
}

/** A registry's `stats.inFlight`, when it has stats. */
function inFlightOf(registry: CampaignRegistry): number | undefined {
  return (registry as { stats?: { inFlight: number } }).stats?.inFlight;
}
