/**
 * `StopBook`: the stops one registry holds in memory. By key (one stop per key, I1), by symbol
 * (the stops that follow a symbol's prices), the creations in flight per key (single flight), and
 * the client order id bases being created (so the orphan sweep leaves them alone).
 */
import type { StopEntry } from './stop-entry.js';

/** A creation in flight for one key. */
export interface Flight {
  readonly promise: Promise<StopEntry>;
  /** The position it creates, when the caller named one. */
  readonly positionId: string | undefined;
  /** The position it protects (side, quantity, entry price, mode), to refuse a caller asking for another. */
  readonly position: PositionFields;
}

/** The fields that tell one position's stop from another's. */
export interface PositionFields {
  readonly side: string;
  readonly quantity: number;
  readonly entryPrice: number;
  readonly mode: string;
}

/** The names of the fields where `a` and `b` describe different positions (empty: the same). */
export function differingPositionFields(a: PositionFields, b: PositionFields): string[] {
  const fields: string[] = [];
  if (a.side !== b.side) fields.push('side');
  if (a.quantity !== b.quantity) fields.push('quantity');
  if (a.entryPrice !== b.entryPrice) fields.push('entryPrice');
  if (a.mode !== b.mode) fields.push('mode');
  return fields;
}

/** See the module comment. */
export class StopBook {
  readonly #stops = new Map<string, StopEntry>();
  /** Stops following prices, by symbol: the entry itself when alone (the common case), else an array. */
  readonly #bySymbol = new Map<string, StopEntry | StopEntry[]>();
  readonly #lastTimestamp = new Map<string, number>();
  readonly #flights = new Map<string, Flight>();
  readonly #creatingBases = new Set<string>();
  /** Stops by client order id base, to match the venue's order updates. */
  readonly #byBase = new Map<string, StopEntry>();

  /** Number of stops held (any state). */
  get size(): number {
    return this.#stops.size;
  }

  /** The stop for `key`. */
  get(key: string): StopEntry | undefined {
    return this.#stops.get(key);
  }

  /** Every stop held, in insertion order. */
  entries(): IterableIterator<StopEntry> {
    return this.#stops.values();
  }

  /** Makes the stop visible under its key and, when live, lets it follow prices. */
  publish(entry: StopEntry): void {
    this.keep(entry);
    if (entry.live) this.follow(entry);
  }

  /** Keeps a stop visible under its key without following prices (an ended stop stays visible, I6). */
  keep(entry: StopEntry): void {
    const previous = this.#stops.get(entry.key);
    if (previous !== undefined && previous !== entry && this.#byBase.get(previous.clientOrderIdBase) === previous) {
      this.#byBase.delete(previous.clientOrderIdBase);
    }
    this.#stops.set(entry.key, entry);
    this.#byBase.set(entry.clientOrderIdBase, entry);
  }

  /** Drops the stop from its key, unless another stop took the key meanwhile. */
  forget(entry: StopEntry): void {
    if (this.#stops.get(entry.key) === entry) this.#stops.delete(entry.key);
    if (this.#byBase.get(entry.clientOrderIdBase) === entry) this.#byBase.delete(entry.clientOrderIdBase);
  }

  /** The stop whose client order ids have this base (its position's orders, current and past). */
  byClientOrderIdBase(base: string): StopEntry | undefined {
    return this.#byBase.get(base);
  }

  /** The stops following `symbol`: one entry, several, or none. Allocates nothing. */
  following(symbol: string): StopEntry | StopEntry[] | undefined {
    return this.#bySymbol.get(symbol);
  }

  /** Lets the stop follow its symbol's prices (replacing any stop of the same key). */
  follow(entry: StopEntry): void {
    // Copy-on-write: a tick loop in progress keeps iterating its own array.
    const others = this.#followers(entry.symbol).filter((other) => other.key !== entry.key);
    this.#bySymbol.set(entry.symbol, others.length === 0 ? entry : [...others, entry]);
  }

  /** Stops the stop following prices. */
  unfollow(entry: StopEntry): void {
    const current = this.#followers(entry.symbol);
    if (!current.includes(entry)) return;
    const remaining = current.filter((other) => other !== entry);
    if (remaining.length === 0) this.#bySymbol.delete(entry.symbol);
    else this.#bySymbol.set(entry.symbol, remaining.length === 1 ? remaining[0]! : remaining);
  }

  /** True when `timestamp` is older than the newest tick seen for `symbol` (which it records). */
  isStale(symbol: string, timestamp: number): boolean {
    const last = this.#lastTimestamp.get(symbol);
    if (last !== undefined && timestamp < last) return true;
    this.#lastTimestamp.set(symbol, timestamp);
    return false;
  }

  /** The creation in flight for `key`. */
  flight(key: string): Flight | undefined {
    return this.#flights.get(key);
  }

  /** True while a creation for `key` is in flight. */
  isCreating(key: string): boolean {
    return this.#flights.has(key);
  }

  /** Records the creation in flight for `key`. */
  beginFlight(key: string, flight: Flight): void {
    this.#flights.set(key, flight);
  }

  /** Ends `flight` for `key`, only if it is still the current one (a newer flight stays). */
  endFlight(key: string, flight: Flight | undefined): void {
    if (flight !== undefined && this.#flights.get(key) === flight) this.#flights.delete(key);
  }

  /** Marks a client order id base as being created here. */
  markCreating(base: string): void {
    this.#creatingBases.add(base);
  }

  /** Clears {@link markCreating}. */
  unmarkCreating(base: string): void {
    this.#creatingBases.delete(base);
  }

  /** True while a creation with this client order id base is in flight here. */
  isCreatingBase(base: string): boolean {
    return this.#creatingBases.has(base);
  }

  #followers(symbol: string): StopEntry[] {
    const current = this.#bySymbol.get(symbol);
    return current === undefined ? [] : Array.isArray(current) ? current : [current];
  }
}
