/** A first-in, first-out queue for the {@link OrderBudget}'s waiting calls. */

/** A first-in, first-out queue with O(1) amortized removal at the head. */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Items in the queue. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds `item` at the tail. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The item at the head, without removing it. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the item at the head. */
  shift(): T | undefined {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every item `test` accepts. */
  removeWhere(test: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (let index = this.#head; index < this.#items.length; index++) {
      const item = this.#items[index]!;
      (test(item) ? removed : kept).push(item);
    }
    this.#items = kept;
    this.#head = 0;
    return removed;
  }

  /** The items, head first, as a fresh array. */
  values(): T[] {
    return this.#items.slice(this.#head) as T[];
  }
}
