/**
 * A simulated clock for the scenarios that measure decisions rather than CPU time (`spike`): the
 * registry, its gateway and budget, and the PaperExchange all take it as their `Clock`, so a 10 s
 * market spike with 20 ms venue latency runs in well under a second of real time and gives the
 * same figures on any machine, loaded or not. Timers fire in time order (ties in the order they
 * were set, as Node's do); after each one every promise chain it started settles before the next.
 */
import type { Clock } from '../../src/ports/clock.js';

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** Resolves once the microtask queue is empty (a macrotask turn). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** See the module comment. */
export class VirtualClock implements Clock {
  #now: number;
  #order = 0;
  /** A binary heap of pending timers, earliest (then first set) at the top. */
  readonly #heap: Timer[] = [];
  #fired = 0;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  /** @inheritdoc */
  now(): number {
    return this.#now;
  }

  /** Timers fired so far (a measure of the simulation's work). */
  get fired(): number {
    return this.#fired;
  }

  /** @inheritdoc */
  setTimeout(callback: () => void, delayMs: number): unknown {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: Timer = { at: this.#now + delay, order: this.#order++, callback, cancelled: false };
    this.#push(timer);
    return timer;
  }

  /** @inheritdoc */
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'object' && handle !== null && 'cancelled' in handle) (handle as Timer).cancelled = true;
  }

  /** Runs every timer due up to `ms` from now, in order, then sets the time to exactly that. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Runs every timer due at or before `time`, in order, letting each one's work settle. */
  async advanceTo(time: number): Promise<void> {
    for (;;) {
      await settle();
      const next = this.#peek();
      if (next === undefined || next.at > time) break;
      this.#pop();
      this.#now = next.at;
      this.#fired++;
      next.callback();
    }
    this.#now = Math.max(this.#now, time);
    await settle();
  }

  /** Runs timers until `done()` holds or `limitMs` of simulated time passed; true when it held. */
  async runUntil(done: () => boolean, limitMs: number): Promise<boolean> {
    const end = this.#now + limitMs;
    while (!done()) {
      await settle();
      if (done()) return true;
      const next = this.#peek();
      if (next === undefined || next.at > end) {
        this.#now = Math.max(this.#now, end);
        return done();
      }
      this.#pop();
      this.#now = next.at;
      this.#fired++;
      next.callback();
    }
    return true;
  }

  #peek(): Timer | undefined {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.cancelled) this.#pop();
    return heap[0];
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!earlier(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && earlier(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && earlier(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === index) return;
      [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
      index = smallest;
    }
  }
}

function earlier(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
