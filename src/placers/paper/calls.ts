/**
 * How the paper venue answers a call, as over a real network: counted per operation, refused
 * beyond the rate limit, faulted as the `fault` option decides, executed on arrival and answered
 * after the latency, the AbortSignal honoured only when `honorAbort` is set.
 */
import { AbortedError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { PlacerCallOptions } from '../../ports/order-placer.js';
import type { PaperCall, PaperExchangeOptions, PaperOperation } from './options.js';
import { PaperRateLimiter } from './rate-limit.js';

/** What a call concerns, for the latency and fault functions. */
export interface PaperCallTarget {
  /** Symbol concerned, when there is one. */
  readonly symbol?: string;
  /** Client order id concerned, when there is one. */
  readonly clientOrderId?: string;
}

/** Runs the paper venue's calls and counts them; see the module comment. */
export class PaperCalls {
  /** Calls received per operation. */
  readonly counts: Record<PaperOperation, number> = {
    placeStop: 0,
    cancelStop: 0,
    amendStop: 0,
    findStop: 0,
    openStops: 0,
    placeTrailingStop: 0,
    closePosition: 0,
  };

  readonly #options: PaperExchangeOptions;
  readonly #clock: Clock;
  readonly #rateLimiter: PaperRateLimiter | undefined;
  #inFlight = 0;
  #maxInFlight = 0;

  /**
   * @param options The checked options of the paper venue (latency, fault, abort, rate limit).
   * @param clock Runs the latency timers and the rate-limit window.
   */
  constructor(options: PaperExchangeOptions, clock: Clock) {
    this.#options = options;
    this.#clock = clock;
    this.#rateLimiter = options.rateLimit === undefined ? undefined : new PaperRateLimiter(options.rateLimit, clock);
  }

  /** Calls currently being answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most calls ever answered at the same time. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Calls refused by the rate limit, since construction. */
  get rateLimited(): number {
    return this.#rateLimiter?.refused ?? 0;
  }

  /**
   * Runs one call of `operation`: `execute` takes effect when the call arrives (unless refused,
   * faulted or aborted first) and its result or error is the answer, after the latency.
   */
  run<T>(operation: PaperOperation, options: PlacerCallOptions, target: PaperCallTarget, execute: () => T): Promise<T> {
    const sequence = ++this.counts[operation];
    const call: PaperCall = { operation, sequence, symbol: target.symbol, clientOrderId: target.clientOrderId };
    const honorAbort = this.#options.honorAbort === true;
    if (honorAbort && options.signal.aborted) return Promise.reject(new AbortedError());
    // The venue's front door: a call over the limit is refused before anything else.
    const fault = this.#rateLimiter?.admit() ?? this.#options.fault?.(call);
    const latency = this.#latency(call);
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        this.#inFlight--;
        outcome();
      };
      if (fault === 'hang') {
        // Never answers, never executes; only an honoured abort releases it.
        if (honorAbort) options.signal.addEventListener('abort', () => finish(() => reject(new AbortedError())));
        return;
      }
      let result: { ok: true; value: T } | { ok: false; error: unknown };
      if (fault instanceof Error) {
        result = { ok: false, error: fault };
      } else {
        try {
          result = { ok: true, value: execute() };
        } catch (error) {
          result = { ok: false, error };
        }
      }
      if (fault === 'lose-answer') {
        if (honorAbort) options.signal.addEventListener('abort', () => finish(() => reject(new AbortedError())));
        return;
      }
      const answer = () => finish(() => (result.ok ? resolve(result.value) : reject(result.error)));
      if (honorAbort) options.signal.addEventListener('abort', () => finish(() => reject(new AbortedError())));
      if (latency <= 0) queueMicrotask(answer);
      else this.#clock.setTimeout(answer, latency);
    });
  }

  #latency(call: PaperCall): number {
    const latency = this.#options.latencyMs ?? 0;
    return typeof latency === 'function' ? latency(call) : latency;
  }
}
