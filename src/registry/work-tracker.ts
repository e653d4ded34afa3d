/**
 * Work accounting for `onIdle()`: creations, removals, syncs, background cleanups and exchange
 * calls each count while they run; waiters resolve when the count drops to zero.
 */
import type { WorkCounter } from '../exchange/stop-synchronizer.js';

/** Counts work in flight; see the module comment. */
export class WorkTracker implements WorkCounter {
  #count = 0;
  #idleWaiters: (() => void)[] = [];

  /** Work items running now. */
  get count(): number {
    return this.#count;
  }

  /** One more work item started. */
  begin(): void {
    this.#count++;
  }

  /** One work item ended; wakes the idle waiters at zero. */
  end(): void {
    this.#count--;
    if (this.#count === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Counts `work` until it settles (background work nobody awaits). */
  track(work: Promise<unknown>): void {
    this.begin();
    work.then(
      () => this.end(),
      () => this.end(),
    );
  }

  /** Runs `work`, counted while it runs. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.begin();
    try {
      return await work();
    } finally {
      this.end();
    }
  }

  /** Resolves when nothing is counted. */
  onIdle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
