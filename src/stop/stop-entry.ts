/**
 * `StopEntry`: the registry's internal, mutable state of one stop, and the one state machine of
 * its lifecycle. Every change of `state` goes through a named transition here, checked against
 * {@link allowedTransitions}; the order the venue holds changes only through `placed` and
 * `orderVanished`. Users see the entry through {@link TrailingStop}.
 *
 * ```text
 * pending ──settle──> waiting ──activate──> active
 *    │                   │                    │
 *    └───────────────────┴─trigger / fail─────┴──> triggered | failed
 * any state ──close──> closed (removed; never stored)
 * ```
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { PositionSide, StopState } from '../domain/position.js';
import { closingSide, isLiveState, type OrderSide } from '../domain/position.js';
import { clientOrderIdFor } from '../domain/client-order-id.js';
import type { ResolvedTrailingParameters } from '../policy/parameters.js';
import type { PolicyState } from '../policy/policy.js';
import { TrailingStop, type TrailingStopSnapshot } from './trailing-stop.js';

/** The states each state may move to. Anything else is a bug, and throws. */
export const allowedTransitions: Readonly<Record<StopState, readonly StopState[]>> = {
  pending: ['waiting', 'active', 'triggered', 'failed', 'closed'],
  waiting: ['active', 'triggered', 'failed', 'closed'],
  active: ['triggered', 'failed', 'closed'],
  triggered: ['closed'],
  failed: ['closed'],
  closed: [],
};

/** What the entry's per-stop exchange sync offers (implemented by the exchange layer). */
export interface VenueSync {
  /** True while an exchange operation for this stop runs. */
  readonly running: boolean;
  /** Asks the venue to catch up with the policy (synchronous; starts or arms the sync). */
  request(): void;
  /** Stops the throttle timer; a running operation completes. */
  cancel(): void;
  /** Resolves once no operation runs for this stop. */
  idle(): Promise<void>;
  /** Places the stop's first order (creation, resumed claim); `null` when none is due yet. */
  placeInitial(lookupFirst: boolean): Promise<StopOrder | null>;
}

/** Fields a new entry needs. */
export interface StopEntryInit {
  readonly key: string;
  readonly symbol: string;
  readonly side: PositionSide;
  readonly positionId: string;
  readonly entryPrice: number;
  readonly quantity: number;
  readonly parameters: ResolvedTrailingParameters;
  readonly policy: PolicyState;
  readonly clientOrderIdBase: string;
  readonly sequence: number;
  readonly owner: string;
  readonly createdAt: number;
  /** Initial state: `pending` for a new claim, the stored state for a record. Default `pending`. */
  readonly state?: StopState;
  /** Builds the entry's exchange sync (it needs the entry, so the entry calls it once). */
  readonly sync: (entry: StopEntry) => VenueSync;
}

/** A settled promise every entry starts its write chain from (one object, not one per stop). */
const settled: Promise<unknown> = Promise.resolve();

/** Thrown when code asks for a transition the state machine does not allow: a bug, never input. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
}

/**
 * Internal state of one stop; see the module comment. The entry is its own {@link PolicyState}
 * (the policy's numbers live in the entry, not in a separate object), so a tick touches one object.
 */
export class StopEntry implements PolicyState {
  readonly key: string;
  readonly symbol: string;
  readonly side: PositionSide;
  /** The order side that closes this position. */
  readonly closingSide: OrderSide;
  readonly positionId: string;
  readonly entryPrice: number;
  readonly parameters: ResolvedTrailingParameters;
  // PolicyState, see policy.ts.
  direction: 1 | -1;
  bestPrice: number;
  stopPrice: number;
  activated: boolean;
  tierIndex: number;
  breakevenReached: boolean;
  triggered: boolean;
  atr: number;
  tickDecimals: number;
  readonly clientOrderIdBase: string;
  readonly createdAt: number;
  readonly facade: TrailingStop;
  quantity: number;
  #state: StopState;
  #order: StopOrder | null = null;
  /** Sequence of `order` (or of the next order when there is none yet). */
  sequence: number;
  /**
   * Highest client order id sequence seen on the venue for this position (a crash may strand an
   * order under a newer id than the record's): the next order goes out past it, never under a
   * spent id the venue would answer with the stranded order.
   */
  spentThrough = 0;
  version = 0;
  /**
   * Id of the order the store's record names, as far as this registry knows (it wrote or read that
   * record); `null` for none. An order of this stop under another id was never recorded: whoever
   * removes or replaces the record cannot know to cancel it.
   */
  recordedOrderId: string | null = null;
  owner: string;
  updatedAt: number;
  /** Stop price and quantity the venue was last told (NaN: unknown, forces a sync). */
  syncedStopPrice = Number.NaN;
  syncedQuantity = Number.NaN;
  /** When the venue was last moved (ms epoch), for the throttle. */
  lastSyncAt = Number.NEGATIVE_INFINITY;
  /** The last price fed while the stop waits for the venue's word on a trigger (NaN before any). */
  lastPrice = Number.NaN;
  /**
   * True while a trigger the price feed suggested waits for the venue's word (exchange and native
   * modes): the stop does not move meanwhile, and ends only when the venue says it filled.
   */
  confirming = false;
  /** Per client order id, the newest order update applied (to ignore duplicates and older ones). */
  appliedUpdates: Map<string, { readonly timestamp: number; readonly status: string; readonly filled: number }> | undefined;
  /**
   * When this registry last saw its memory agree with the store (it wrote or read the record), on
   * its own clock; the registry re-reads a stop not confirmed lately before acting on it.
   */
  confirmedAt = Number.NEGATIVE_INFINITY;
  #retiring = false;
  /** Serializes this entry's store writes, so versions advance one at a time. */
  writes: Promise<unknown> = settled;
  /** This stop's exchange sync. */
  readonly sync: VenueSync;

  constructor(init: StopEntryInit) {
    this.key = init.key;
    this.symbol = init.symbol;
    this.side = init.side;
    this.closingSide = closingSide(init.side);
    this.positionId = init.positionId;
    this.entryPrice = init.entryPrice;
    this.quantity = init.quantity;
    this.parameters = init.parameters;
    const policy = init.policy;
    this.direction = policy.direction;
    this.bestPrice = policy.bestPrice;
    this.stopPrice = policy.stopPrice;
    this.activated = policy.activated;
    this.tierIndex = policy.tierIndex;
    this.breakevenReached = policy.breakevenReached;
    this.triggered = policy.triggered;
    this.atr = policy.atr;
    this.tickDecimals = policy.tickDecimals;
    this.clientOrderIdBase = init.clientOrderIdBase;
    this.sequence = init.sequence;
    this.owner = init.owner;
    this.createdAt = init.createdAt;
    this.updatedAt = init.createdAt;
    this.#state = init.state ?? 'pending';
    this.facade = new TrailingStop(this);
    this.sync = init.sync(this);
  }

  /** The policy state: the entry itself. */
  get policy(): PolicyState {
    return this;
  }

  /** Lifecycle state; changed only by the transitions below. */
  get state(): StopState {
    return this.#state;
  }

  /** The order the venue holds for this stop, `null` when none. */
  get order(): StopOrder | null {
    return this.#order;
  }

  /** Sequence of the next order that replaces the current one: past every spent id. */
  get nextSequence(): number {
    return Math.max(this.sequence, this.spentThrough) + 1;
  }

  /** Client order id of the current order (or the next one when there is none). */
  get clientOrderId(): string {
    return clientOrderIdFor(this.clientOrderIdBase, this.sequence);
  }

  /** True while removal is under way: the sync stops after its current operation. */
  get retiring(): boolean {
    return this.#retiring;
  }

  /** True when the stop still follows prices (not triggered, failed, closed or being removed). */
  get live(): boolean {
    return isLiveState(this.#state) && !this.#retiring;
  }

  /** True once the stop ended (triggered, failed or closed): it never follows prices again. */
  get ended(): boolean {
    return !isLiveState(this.#state) && this.#state !== 'pending';
  }

  // ---- lifecycle transitions ---------------------------------------------------------------

  /** The claim is settled (order placed or not due yet): `waiting`, or `active` once activated. */
  settle(): void {
    this.#moveTo(this.activated ? 'active' : 'waiting');
  }

  /** The policy reached the activation price. */
  activate(): void {
    if (this.#state !== 'active') this.#moveTo('active');
  }

  /** The stop fired (price crossing, gap, or the venue's fill). */
  trigger(): void {
    this.triggered = true;
    if (this.#state !== 'triggered') this.#moveTo('triggered');
  }

  /** The position could not be protected as intended (visible, never silent). */
  fail(): void {
    this.#moveTo('failed');
  }

  /** Removed from the registry (here or elsewhere). Idempotent. */
  close(): void {
    if (this.#state !== 'closed') this.#moveTo('closed');
  }

  /** Removal started: the stop stops following prices and syncing. */
  beginRetiring(): void {
    this.#retiring = true;
  }

  /** Removal failed before it finished: the stop is kept, so the caller can retry. */
  abortRetiring(): void {
    this.#retiring = false;
  }

  /**
   * Takes a stored state of the same position (another registry wrote it). A stop that ended here
   * stays ended, a pending claim changes nothing, and an activated stop never goes back to waiting.
   */
  takeStoredState(stored: StopState): void {
    if (this.ended || stored === 'pending') return;
    const next = stored === 'waiting' && this.activated ? 'active' : stored;
    if (next !== this.#state) this.#moveTo(next);
  }

  // ---- the venue's order -------------------------------------------------------------------

  /**
   * The venue holds `order` for this stop at `stopPrice` x `quantity`; with `now`, the venue was
   * moved at that moment (the throttle counts from it).
   */
  placed(order: StopOrder, stopPrice: number, quantity: number, now?: number): void {
    this.#order = order;
    this.syncedStopPrice = stopPrice;
    this.syncedQuantity = quantity;
    if (now !== undefined) this.lastSyncAt = now;
  }

  /** Takes `order` (or none) as what the venue holds, at the order's own price and quantity. */
  useOrder(order: StopOrder | null): void {
    this.#order = order;
    this.syncedStopPrice = order === null ? Number.NaN : order.stopPrice;
    this.syncedQuantity = order === null ? Number.NaN : order.quantity;
  }

  /** The venue no longer holds the order: the next one goes out under a fresh client order id. */
  orderVanished(): void {
    this.#order = null;
    this.syncedStopPrice = Number.NaN;
    this.sequence += 1;
  }

  /**
   * Takes `order` as the one the venue holds, as another writer recorded it (or `null`): what the
   * venue holds is then not what this entry last sent, so the sync decides again.
   */
  takeStoredOrder(order: StopOrder | null): void {
    const sameOrder = this.#order !== null && order !== null && this.#order.id === order.id;
    this.#order = order;
    if (!sameOrder) {
      this.syncedStopPrice = order === null ? Number.NaN : order.stopPrice;
      this.syncedQuantity = order === null ? Number.NaN : order.quantity;
    }
  }

  /** Plain-data view. */
  snapshot(): TrailingStopSnapshot {
    return {
      key: this.key,
      symbol: this.symbol,
      side: this.side,
      positionId: this.positionId,
      entryPrice: this.entryPrice,
      quantity: this.quantity,
      state: this.#state,
      mode: this.parameters.mode,
      stopPrice: this.stopPrice === this.stopPrice ? this.stopPrice : null,
      exchangeStopPrice: this.#order === null ? null : this.#order.stopPrice,
      activationPrice: this.parameters.activationPrice,
      activated: this.activated,
      bestPrice: this.bestPrice === this.bestPrice ? this.bestPrice : null,
      order: this.#order,
      version: this.version,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
    };
  }

  #moveTo(next: StopState): void {
    if (!allowedTransitions[this.#state].includes(next)) {
      throw new IllegalTransitionError(`The stop for ${this.key} cannot go from ${this.#state} to ${next}`);
    }
    this.#state = next;
  }
}
