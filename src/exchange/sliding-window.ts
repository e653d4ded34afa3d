/**
 * The {@link OrderBudget}'s sliding window: never more than `requests` (weighted) requests in any
 * `intervalMs`. A request counts from the moment it is sent; one admitted but not yet sent holds
 * its place (reserved) until it is sent or given back.
 */

/** Send times of the requests in the window, and the weight reserved; see the module comment. */
export class SlidingWindow {
  readonly #requests: number;
  readonly #intervalMs: number;
  /** Send times of the requests in the window, oldest first (a ring of `requests` slots). */
  readonly #sent: Float64Array;
  #head = 0;
  #size = 0;
  /** Weight admitted but not yet sent: it holds its place in the window. */
  #reserved = 0;

  /**
   * @param requests Requests (weighted) allowed in any window.
   * @param intervalMs Length of the window, in ms.
   */
  constructor(requests: number, intervalMs: number) {
    this.#requests = requests;
    this.#intervalMs = intervalMs;
    this.#sent = new Float64Array(requests);
  }

  /** Requests (weighted) sent within the window ending at `now`. */
  sentAt(now: number): number {
    this.#expire(now);
    return this.#size;
  }

  /** Weight that may still be admitted at `now`. */
  room(now: number): number {
    this.#expire(now);
    return this.#requests - this.#size - this.#reserved;
  }

  /** Holds `weight` for a call admitted but not yet sent. */
  reserve(weight: number): void {
    this.#reserved += weight;
  }

  /** Gives back `weight` reserved for a call that will not be sent. */
  release(weight: number): void {
    this.#reserved -= weight;
  }

  /** A reserved call of `weight` is sent at `now`: it counts in the window from now. */
  send(weight: number, now: number): void {
    this.#reserved -= weight;
    this.#expire(now);
    const capacity = this.#sent.length;
    for (let index = 0; index < weight; index++) {
      // The window never holds more than `requests`: admission saw to it.
      this.#sent[(this.#head + this.#size) % capacity] = now;
      this.#size++;
    }
  }

  /**
   * When a call of `weight` will find room, as the oldest sends leave the window; `Infinity` when
   * it has room now or sends leaving cannot make enough (reserved weight frees only once sent).
   */
  roomAt(weight: number, now: number): number {
    const missing = weight - this.room(now);
    if (missing > 0 && missing <= this.#size) return this.#sent[(this.#head + missing - 1) % this.#sent.length]! + this.#intervalMs;
    return Number.POSITIVE_INFINITY;
  }

  #expire(now: number): void {
    const capacity = this.#sent.length;
    const horizon = now - this.#intervalMs;
    while (this.#size > 0 && this.#sent[this.#head]! <= horizon) {
      this.#head = (this.#head + 1) % capacity;
      this.#size--;
    }
  }
}
