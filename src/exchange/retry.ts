/**
 * Retrying exchange calls: the retry policy, which errors are worth retrying and which leave the
 * outcome unknown (I7), and exponential backoff with equal jitter that honours a venue's
 * retry-after hint.
 */
import {
  AbortedError,
  ClosedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  OrderNotFoundError,
  TimeoutError,
  TrailingStopError,
  UnsupportedError,
  WouldTriggerError,
} from '../errors.js';
import type { Clock } from '../ports/clock.js';
import { WithdrawnError } from './withdrawn-error.js';

/** Retry policy for exchange calls. */
export interface RetryOptions {
  /** Attempts in all, the first included (>= 1). Default 4. */
  readonly attempts?: number;
  /** Delay before the first retry, in ms; doubles each retry. Default 250. */
  readonly baseDelayMs?: number;
  /** Longest delay between retries, in ms. Default 5,000. */
  readonly maxDelayMs?: number;
}

/** Resolved {@link RetryOptions}. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/** Default retry policy. */
export const defaultRetryOptions: ResolvedRetryOptions = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 };

/** Errors worth retrying: anything but a definite refusal, a gap, an abort, a missing order or a withdrawn move. */
export function isRetryable(error: unknown): boolean {
  return !(
    error instanceof WithdrawnError ||
    error instanceof WouldTriggerError ||
    error instanceof ExchangeRejectedError ||
    error instanceof AbortedError ||
    error instanceof ClosedError ||
    error instanceof OrderNotFoundError ||
    error instanceof UnsupportedError
  );
}

/** True when the failed call may have executed anyway (I7). */
export function hasUnknownOutcome(error: unknown): boolean {
  if (error instanceof WithdrawnError) return false;
  if (error instanceof ExchangeUnavailableError) return error.unknownOutcome;
  return !(error instanceof TrailingStopError) || error instanceof TimeoutError;
}

/** Runs calls again after retryable errors, waiting between attempts as the policy says. */
export class Retrier {
  readonly #retry: ResolvedRetryOptions;
  readonly #clock: Clock;
  readonly #random: () => number;

  /**
   * @param retry The resolved policy.
   * @param clock Runs the waits between attempts.
   * @param random Jitter source in [0, 1).
   */
  constructor(retry: ResolvedRetryOptions, clock: Clock, random: () => number) {
    this.#retry = retry;
    this.#clock = clock;
    this.#random = random;
  }

  /** Attempts in all, the first included. */
  get attempts(): number {
    return this.#retry.attempts;
  }

  /**
   * Runs `run` up to the policy's attempts while it fails with a retryable error; rejects with the
   * first error not worth retrying, or the last error once the attempts are spent.
   */
  async run<T>(run: () => Promise<T>): Promise<T> {
    const { attempts } = this.#retry;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await this.backoff(attempt - 1, lastError);
      try {
        return await run();
      } catch (error) {
        lastError = error;
        if (!isRetryable(error)) throw error;
      }
    }
    throw lastError;
  }

  /**
   * Waits before retry number `retry` (1-based): exponential backoff with equal jitter, at least
   * the venue's retry-after hint when `error` carries one.
   */
  backoff(retry: number, error: unknown): Promise<void> {
    const { baseDelayMs, maxDelayMs } = this.#retry;
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    let delay = exponential / 2 + (exponential / 2) * this.#random();
    if (error instanceof ExchangeUnavailableError && error.retryAfterMs !== undefined) {
      delay = Math.max(delay, error.retryAfterMs);
    }
    return new Promise((resolve) => this.#clock.setTimeout(resolve, delay));
  }
}
