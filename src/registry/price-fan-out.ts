/**
 * Prices in, to every stop on the symbol: the policy decides (pure), and only a change goes further:
 * the entry's transition (activated), the events, a trigger, or a request to its exchange sync.
 * Synchronous and allocation-free when nothing changes.
 */
import { ACTIVATED, BREAKEVEN, STOP_MOVED, TRIGGERED, advancePolicy, updateAtr } from '../policy/policy.js';
import type { StopBook } from '../stop/stop-book.js';
import { isLiveState } from '../domain/position.js';
import type { StopEntry } from '../stop/stop-entry.js';
import type { Reporter } from './reporter.js';
import type { StopEndings } from './stop-endings.js';
import type { TriggerConfirmation } from './trigger-confirmation.js';

/** See the module comment. */
export class PriceFanOut {
  readonly #book: StopBook;
  readonly #endings: StopEndings;
  readonly #reporter: Reporter;
  readonly #confirmation: TriggerConfirmation;

  constructor(book: StopBook, endings: StopEndings, reporter: Reporter, confirmation: TriggerConfirmation) {
    this.#book = book;
    this.#endings = endings;
    this.#reporter = reporter;
    this.#confirmation = confirmation;
  }

  /** Feeds `price` to every stop following `symbol`; a tick older than the newest seen is ignored. */
  update(symbol: string, price: number, timestamp: number | undefined): void {
    const book = this.#book;
    if (timestamp !== undefined && book.isStale(symbol, timestamp)) return;
    const followed = book.following(symbol);
    if (followed === undefined) return;
    if (!Array.isArray(followed)) this.#advance(followed, price);
    else for (let index = 0; index < followed.length; index++) this.#advance(followed[index]!, price);
  }

  /** Feeds a new ATR to a live stop trailing by ATR. */
  updateAtr(entry: StopEntry, atr: number): void {
    const previousStopPrice = entry.stopPrice;
    const flags = updateAtr(entry, entry.parameters, atr);
    if (flags !== 0) this.#changed(entry, flags, entry.bestPrice, previousStopPrice);
  }

  /** One stop, one price: the policy decides; only a change goes further. */
  #advance(entry: StopEntry, price: number): void {
    if (entry.confirming || entry.retiring || !isLiveState(entry.state)) {
      this.#held(entry, price);
      return;
    }
    const previousStopPrice = entry.stopPrice;
    const flags = advancePolicy(entry, entry.parameters, price);
    if (flags !== 0) this.#changed(entry, flags, price, previousStopPrice);
  }

  /** A stop that waits for the venue's word, or ended or is being removed meanwhile. */
  #held(entry: StopEntry, price: number): void {
    if (entry.confirming && entry.live) {
      entry.lastPrice = price;
      this.#confirmation.onTick(entry);
    }
    // Ended or being removed by a path that could not unfollow it yet: it follows no more.
    else if (!entry.live) this.#book.unfollow(entry);
  }

  #changed(entry: StopEntry, flags: number, price: number, previousStopPrice: number): void {
    const reporter = this.#reporter;
    if ((flags & ACTIVATED) !== 0) {
      entry.activate();
      reporter.stop('activated', entry);
    }
    if ((flags & BREAKEVEN) !== 0) reporter.stop('breakeven', entry);
    if ((flags & STOP_MOVED) !== 0) {
      reporter.counters.moves++;
      if (reporter.listening('stopMoved')) {
        reporter.events.emit('stopMoved', {
          stop: entry.snapshot(),
          previousStopPrice: previousStopPrice === previousStopPrice ? previousStopPrice : null,
          stopPrice: entry.stopPrice,
          onExchange: entry.syncedStopPrice === entry.stopPrice,
        });
      }
    }
    if ((flags & TRIGGERED) !== 0) {
      // A venue that holds the stop says whether it fired; the feed alone decides only without one.
      if (this.#confirmation.canConfirm(entry, price)) this.#confirmation.start(entry, price);
      else this.#endings.trigger(entry, price);
      return;
    }
    if ((flags & (STOP_MOVED | ACTIVATED)) !== 0) entry.sync.request();
  }
}
