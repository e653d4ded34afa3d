/**
 * The {@link OrderBudget}'s global pause: a venue's rate-limit answer with a retry-after
 * (Binance's 418 "banned until") holds every call but `protect` until then, for the whole
 * registry, not per key. A later pause extends it.
 */

/** Until when calls are paused, and how many pauses started; see the module comment. */
export class BudgetPause {
  #until = Number.NEGATIVE_INFINITY;
  #count = 0;

  /** Pauses started since the start (an extension of a running pause is not a new one). */
  get count(): number {
    return this.#count;
  }

  /** False until the first pause: no clock needs reading to know nothing is paused. */
  get ever(): boolean {
    return this.#until > Number.NEGATIVE_INFINITY;
  }

  /** Until when (ms epoch) the latest pause holds; `-Infinity` before any. */
  get until(): number {
    return this.#until;
  }

  /** True when a pause holds at `now`. */
  holds(now: number): boolean {
    return this.#until > now;
  }

  /** Ms of the pause left at `now`; 0 when none holds. */
  remainingAt(now: number): number {
    return this.#until > now ? this.#until - now : 0;
  }

  /** Pauses until `untilMs` unless a pause already holds that long. Returns whether it changed. */
  extend(untilMs: number, now: () => number): boolean {
    if (!(untilMs > this.#until)) return false;
    if (!(this.#until > now())) this.#count++;
    this.#until = untilMs;
    return true;
  }
}
