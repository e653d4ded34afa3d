/**
 * The paper venue's request limit, as a venue's front door enforces it: a sliding window of the
 * calls it accepted, and a 429-style refusal beyond it.
 */
import { ExchangeUnavailableError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { PaperExchangeOptions } from './options.js';

/** Counts accepted calls in a sliding window and refuses those beyond the limit. */
export class PaperRateLimiter {
  readonly #limit: NonNullable<PaperExchangeOptions['rateLimit']>;
  readonly #clock: Clock;
  /** Arrival times of the accepted calls in the window, oldest first (from `#head` on). */
  readonly #accepted: number[] = [];
  #head = 0;
  #refused = 0;

  /**
   * @param limit The checked `rateLimit` option.
   * @param clock Decides when a call arrives.
   */
  constructor(limit: NonNullable<PaperExchangeOptions['rateLimit']>, clock: Clock) {
    this.#limit = limit;
    this.#clock = clock;
  }

  /** Calls refused so far (the 429 answers). */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Admits a call arriving now: counts it in the window and returns undefined, or, when the window
   * is full, returns the 429 answer (not counted) with `retryAfterMs` until the oldest slot frees.
   */
  admit(): ExchangeUnavailableError | undefined {
    const limit = this.#limit;
    const now = this.#clock.now();
    const accepted = this.#accepted;
    while (this.#head < accepted.length && accepted[this.#head]! <= now - limit.intervalMs) this.#head++;
    if (this.#head > 1_024) {
      accepted.splice(0, this.#head);
      this.#head = 0;
    }
    if (accepted.length - this.#head < limit.requests) {
      accepted.push(now);
      return undefined;
    }
    this.#refused++;
    const retryAfterMs = Math.max(1, accepted[this.#head]! + limit.intervalMs - now);
    return new ExchangeUnavailableError(
      `429 Too Many Requests: more than ${limit.requests} requests in ${limit.intervalMs} ms; retry after ${retryAfterMs} ms`,
      { unknownOutcome: false, retryAfterMs },
    );
  }
}
