/**
 * The NAIVE variant, kept beside the race tests to prove they have teeth: "check, then work
 * outside the lock, then double-check", as the seed bot had it after its fix. It has no single
 * flight, no claim in the store, no compensation and no client order id reuse:
 * - two concurrent creations both place an order; the loser's order is never cancelled (orphan);
 * - the store write is a blind overwrite, so the loser's write can be the one that survives;
 * - a removal during a creation leaves the creation's order behind.
 * The same properties that hold for `TrailingStopRegistry` must FAIL here.
 */
import type { OrderPlacer, StopOrder } from '../../src/ports/order-placer.js';
import type { StateStore } from '../../src/ports/state-store.js';
import { makeStopRecord } from '../../src/testing/records.js';

/** One stop as the naive registry keeps it. */
export interface NaiveStop {
  readonly key: string;
  readonly order: StopOrder;
}

/** Spec subset the naive registry understands. */
export interface NaiveSpec {
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly entryPrice: number;
  readonly quantity: number;
  readonly stopLossPercent: number;
  readonly key?: string;
}

/** A tiny async mutex: what the seed bot's `asyncio.Lock` was. */
export class AsyncLock {
  #tail: Promise<void> = Promise.resolve();
  /** Runs `work` when every earlier holder has finished. */
  run<T>(work: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(work);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

let naiveOrderCounter = 0;

/** See the module comment. */
export class DoubleCheckRegistry {
  readonly #placer: OrderPlacer;
  readonly #store: StateStore;
  readonly #owner: string;
  readonly #lock = new AsyncLock();
  readonly #stops = new Map<string, NaiveStop>();

  constructor(options: { placer: OrderPlacer; store: StateStore; owner?: string }) {
    this.#placer = options.placer;
    this.#store = options.store;
    this.#owner = options.owner ?? 'naive';
  }

  /** The stop for `key` in memory. */
  get(key: string): NaiveStop | undefined {
    return this.#stops.get(key);
  }

  /** Check (locked), work (unlocked), double-check (locked), store (blind write). */
  async create(spec: NaiveSpec): Promise<NaiveStop> {
    const key = spec.key ?? spec.symbol;
    const existing = await this.#lock.run(async () => this.#stops.get(key) ?? (await this.#fromStore(key)));
    if (existing !== undefined) return existing;
    const direction = spec.side === 'long' ? 1 : -1;
    const stopPrice = spec.entryPrice * (1 - (direction * spec.stopLossPercent) / 100);
    // The seed bot had no deterministic client order id: every attempt is a new order.
    const order = await this.#placer.placeStop(
      {
        symbol: spec.symbol,
        side: spec.side === 'long' ? 'sell' : 'buy',
        quantity: spec.quantity,
        stopPrice,
        clientOrderId: `naive-${++naiveOrderCounter}`,
      },
      { signal: new AbortController().signal },
    );
    return this.#lock.run(async () => {
      const winner = this.#stops.get(key);
      if (winner !== undefined) return winner; // the loser's order is simply forgotten: an orphan
      const stop: NaiveStop = { key, order };
      this.#stops.set(key, stop);
      await this.#blindWrite(key, spec, order);
      return stop;
    });
  }

  /** Cancels what memory knows and deletes the record; creations in flight are not waited for. */
  async remove(key: string): Promise<boolean> {
    const stop = this.#stops.get(key) ?? (await this.#fromStore(key));
    this.#stops.delete(key);
    if (stop === undefined) return false;
    await this.#placer.cancelStop(stop.order, { signal: new AbortController().signal });
    await this.#store.delete(key);
    return true;
  }

  async #fromStore(key: string): Promise<NaiveStop | undefined> {
    const record = await this.#store.load(key);
    if (record === undefined || record.order === null) return undefined;
    const stop = { key, order: record.order };
    this.#stops.set(key, stop);
    return stop;
  }

  /** Insert, or overwrite whatever is there: no compare-and-set on a version the writer read. */
  async #blindWrite(key: string, spec: NaiveSpec, order: StopOrder): Promise<void> {
    const now = Date.now();
    const record = makeStopRecord({
      key,
      owner: this.#owner,
      state: 'waiting',
      symbol: spec.symbol,
      side: spec.side,
      entryPrice: spec.entryPrice,
      quantity: spec.quantity,
      positionId: 'naive',
      clientOrderId: order.clientOrderId,
      stopPrice: order.stopPrice,
      bestPrice: spec.entryPrice,
      activated: false,
      order,
      createdAt: now,
      updatedAt: now,
    });
    const inserted = await this.#store.insert(record);
    if (!inserted.inserted) {
      const current = inserted.record;
      await this.#store.compareAndSet({ ...record, version: current.version + 1 }, current.version);
    }
  }
}
