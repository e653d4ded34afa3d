/**
 * `TrailingStop`: the read-only view of one stop that `create()` resolves and events carry as
 * snapshots. The object stays the same for the stop's whole life; its getters show live values.
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { PositionSide, StopState } from '../ports/state-store.js';
import type { StopMode } from '../policy/parameters.js';

/** A stop's state at one moment, as plain data. */
export interface TrailingStopSnapshot {
  /** Registry key. */
  readonly key: string;
  /** Venue symbol. */
  readonly symbol: string;
  /** Position side. */
  readonly side: PositionSide;
  /** Position identity. */
  readonly positionId: string;
  /** Entry price. */
  readonly entryPrice: number;
  /** Position size. */
  readonly quantity: number;
  /** Lifecycle state. */
  readonly state: StopState;
  /** How the stop is kept. */
  readonly mode: StopMode;
  /** Where the stop is now (policy); `null` before there is one. */
  readonly stopPrice: number | null;
  /** Where the venue's order is; `null` when there is none. */
  readonly exchangeStopPrice: number | null;
  /** Price at which trailing starts. */
  readonly activationPrice: number;
  /** True once trailing started. */
  readonly activated: boolean;
  /** Best price seen (peak for a long, trough for a short); `null` before any. */
  readonly bestPrice: number | null;
  /** The venue order, `null` when none. */
  readonly order: StopOrder | null;
  /** Store version of the state this registry last wrote or read. */
  readonly version: number;
  /** Creation time (ms epoch). */
  readonly createdAt: number;
  /** Last update time (ms epoch). */
  readonly updatedAt: number;
}

/** What the view reads: one stop's live state (the registry's internal entry implements it). */
export interface StopSource {
  readonly key: string;
  readonly symbol: string;
  readonly side: PositionSide;
  readonly positionId: string;
  readonly entryPrice: number;
  readonly quantity: number;
  readonly state: StopState;
  readonly parameters: { readonly mode: StopMode; readonly activationPrice: number };
  /** Where the stop is now; NaN before there is one. */
  readonly stopPrice: number;
  /** Best price seen; NaN before any. */
  readonly bestPrice: number;
  /** True once trailing started. */
  readonly activated: boolean;
  readonly order: StopOrder | null;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  snapshot(): TrailingStopSnapshot;
}

/** Live read-only view of one stop. Obtain it from `registry.create()` or `registry.get()`. */
export class TrailingStop {
  readonly #entry: StopSource;

  /** @internal Created by the registry only. */
  constructor(entry: StopSource) {
    this.#entry = entry;
  }

  /** Registry key. */
  get key(): string {
    return this.#entry.key;
  }
  /** Venue symbol. */
  get symbol(): string {
    return this.#entry.symbol;
  }
  /** Position side. */
  get side(): PositionSide {
    return this.#entry.side;
  }
  /** Position identity (caller-given or generated). */
  get positionId(): string {
    return this.#entry.positionId;
  }
  /** Entry price. */
  get entryPrice(): number {
    return this.#entry.entryPrice;
  }
  /** Position size. */
  get quantity(): number {
    return this.#entry.quantity;
  }
  /** Lifecycle state. */
  get state(): StopState {
    return this.#entry.state;
  }
  /** How the stop is kept. */
  get mode(): StopMode {
    return this.#entry.parameters.mode;
  }
  /** Where the stop is now (policy); `null` before there is one. */
  get stopPrice(): number | null {
    const price = this.#entry.stopPrice;
    return price === price ? price : null;
  }
  /** Price at which trailing starts. */
  get activationPrice(): number {
    return this.#entry.parameters.activationPrice;
  }
  /** True once trailing started. */
  get activated(): boolean {
    return this.#entry.activated;
  }
  /** Best price seen (peak for a long, trough for a short); `null` before any. */
  get bestPrice(): number | null {
    const price = this.#entry.bestPrice;
    return price === price ? price : null;
  }
  /** Where the venue's order is; `null` when there is none. */
  get exchangeStopPrice(): number | null {
    return this.#entry.order === null ? null : this.#entry.order.stopPrice;
  }
  /** The venue order (`id`, `clientOrderId`, ...), `null` when none. */
  get order(): StopOrder | null {
    return this.#entry.order;
  }
  /** Store version this registry last wrote or read. */
  get version(): number {
    return this.#entry.version;
  }
  /** Creation time (ms epoch). */
  get createdAt(): number {
    return this.#entry.createdAt;
  }
  /** Last update time (ms epoch). */
  get updatedAt(): number {
    return this.#entry.updatedAt;
  }

  /** The whole state as plain data. */
  snapshot(): TrailingStopSnapshot {
    return this.#entry.snapshot();
  }

  /** JSON form: the snapshot. */
  toJSON(): TrailingStopSnapshot {
    return this.snapshot();
  }
}
