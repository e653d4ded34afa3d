/**
 * How long each symbol of the paper venue went without an open stop between its first stop and
 * now: the gaps a cancel-then-place move leaves, which make-before-break avoids.
 */
import type { Clock } from '../../ports/clock.js';

/** Unprotected time per symbol, on the clock it is given. */
export class UnprotectedTime {
  readonly #clock: Clock;
  /** When each symbol unprotected now lost its last open stop. */
  readonly #since = new Map<string, number>();
  /** Unprotected ms of each symbol before its current stretch. */
  readonly #total = new Map<string, number>();

  /** @param clock Decides when a symbol lost and regained its protection. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** `symbol` has an open stop again: the stretch without one, if any, is added to its total. */
  protect(symbol: string): void {
    const since = this.#since.get(symbol);
    if (since === undefined) return;
    this.#since.delete(symbol);
    this.#total.set(symbol, (this.#total.get(symbol) ?? 0) + this.#clock.now() - since);
  }

  /** `symbol` has no open stop from now on. */
  unprotect(symbol: string): void {
    this.#since.set(symbol, this.#clock.now());
  }

  /** Total ms `symbol` had no open stop, the current stretch included. */
  ms(symbol: string): number {
    const since = this.#since.get(symbol);
    const open = since === undefined ? 0 : this.#clock.now() - since;
    return (this.#total.get(symbol) ?? 0) + open;
  }

  /** Forgets `symbol`'s accounting. */
  reset(symbol: string): void {
    this.#since.delete(symbol);
    this.#total.delete(symbol);
  }
}
