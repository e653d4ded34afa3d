/**
 * Cleanup that failed is owed, not forgotten: a cancel nothing may skip (compensation, the old half
 * of a move) or a store write that failed is retried in the background, with exponential backoff
 * and jitter, until it succeeds or the registry closes. Each attempt is bounded by the registry's
 * timeout, so a hung call is abandoned and tried again, never awaited forever. `onIdle()` counts
 * an owed item while a retry is due; `close()` makes one last attempt of each, then stops.
 */
import type { Clock } from '../ports/clock.js';
import type { ResolvedRetryOptions } from '../exchange/gateway.js';
import { unref } from '../domain/timers.js';
import type { WorkTracker } from './work-tracker.js';

/** What the owed work needs. */
export interface OwedWorkOptions {
  readonly clock: Clock;
  readonly random: () => number;
  /** Bound of one attempt, in ms. */
  readonly timeoutMs: number;
  readonly retry: ResolvedRetryOptions;
  readonly work: WorkTracker;
}

/** Thrown into an attempt that did not settle within the bound. */
class AttemptTimedOut extends Error {}

/** See the module comment. */
export class OwedWork {
  readonly #options: OwedWorkOptions;
  /** Wakes every sleeping retry (on close). */
  readonly #wakers = new Set<() => void>();
  #owed = 0;
  #stopping = false;

  constructor(options: OwedWorkOptions) {
    this.#options = options;
  }

  /** Items owed now (a retry is due or running). */
  get owed(): number {
    return this.#owed;
  }

  /**
   * Owes `attempt`: it runs after a backoff, again after each failure, until it resolves, or once
   * more when the registry closes. `onFailure` hears every failed attempt (to report it).
   */
  owe(attempt: () => Promise<void>, onFailure: (error: unknown, tries: number) => void): void {
    this.#owed++;
    const run = async () => {
      // An attempt that outlives its bound is not started again while it still runs: a slow store
      // must not be written once per bound; its late success counts.
      let running: Promise<void> | undefined;
      let succeeded = false;
      for (let tries = 1; ; tries++) {
        if (!this.#stopping) await this.#sleep(this.#delay(tries));
        if (succeeded) return;
        if (running === undefined) {
          const started = attempt();
          running = started;
          started.then(
            () => {
              succeeded = true;
            },
            () => {
              if (running === started) running = undefined;
            },
          );
        }
        try {
          await this.#bounded(running);
          return;
        } catch (error) {
          onFailure(error, tries);
          // Closing: the attempt just made was the last one.
          if (this.#stopping) return;
        }
      }
    };
    this.#options.work.track(
      run().finally(() => {
        this.#owed--;
      }),
    );
  }

  /** The registry closes: each owed item makes one last attempt now, then gives up. */
  stop(): void {
    this.#stopping = true;
    for (const wake of [...this.#wakers]) wake();
  }

  #delay(tries: number): number {
    const { baseDelayMs, maxDelayMs } = this.#options.retry;
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** (tries - 1));
    return exponential / 2 + (this.#options.random() * exponential) / 2;
  }

  #sleep(ms: number): Promise<void> {
    const clock = this.#options.clock;
    return new Promise((resolve) => {
      const wake = () => {
        this.#wakers.delete(wake);
        clock.clearTimeout(timer);
        resolve();
      };
      const timer = clock.setTimeout(wake, ms);
      unref(timer);
      this.#wakers.add(wake);
    });
  }

  /** Waits for `attempt`, rejecting when it has not settled within the timeout (it goes on running). */
  #bounded(attempt: Promise<void>): Promise<void> {
    const { clock, timeoutMs } = this.#options;
    return new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(() => reject(new AttemptTimedOut(`An owed attempt did not settle within ${timeoutMs} ms`)), timeoutMs);
      unref(timer);
      attempt.then(
        () => {
          clock.clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
