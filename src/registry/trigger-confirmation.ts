/**
 * Triggers confirmed by the venue (exchange and native modes). A price from the feed that crosses
 * the stop does not end it: the feed may be the last price while the venue triggers on the mark
 * price, or a wick the venue never saw. The stop stops moving and the registry asks the venue: it
 * waits for an order update, then looks the order up with a doubling wait. Filled: the stop
 * triggered (source `venue`). Gone without a fill: the order was lost (replaced or released). Open
 * with the price back on the protected side: the stop goes on trailing, and nothing triggered.
 */
import type { Clock } from '../ports/clock.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import { unref } from '../domain/timers.js';
import type { StopEntry } from '../stop/stop-entry.js';
import type { RecordWriter } from './record-writer.js';
import type { Reporter } from './reporter.js';
import type { StopEndings } from './stop-endings.js';
import type { WorkTracker } from './work-tracker.js';

/** What the confirmation needs. */
export interface TriggerConfirmationOptions {
  readonly gateway: ExchangeGateway;
  readonly clock: Clock;
  readonly endings: StopEndings;
  readonly reporter: Reporter;
  readonly work: WorkTracker;
  /** Re-reads a stop's record before its order is taken for lost. */
  readonly writer: RecordWriter;
  /** First wait for the venue's word, in ms (see `confirmTriggerMs`). */
  readonly confirmTriggerMs: number;
  /** What to do with an order the venue lost (see `onExternalCancel`). */
  readonly onExternalCancel: 'replace' | 'release';
  /** True while the placer's order stream is subscribed. */
  readonly watching: () => boolean;
  /** True once the registry closed. */
  readonly closed: () => boolean;
}

/** See the module comment. */
export class TriggerConfirmation {
  readonly #options: TriggerConfirmationOptions;

  constructor(options: TriggerConfirmationOptions) {
    this.#options = options;
  }

  /**
   * True when the venue can confirm the trigger of `entry` at `price`: a venue order exists in
   * exchange or native mode, the placer streams or looks orders up, and the stop does not ask to
   * close by market on a gap past the venue's order.
   */
  canConfirm(entry: StopEntry, price: number): boolean {
    const mode = entry.parameters.mode;
    const order = entry.order;
    if (mode === 'emulated' || order === null) return false;
    const placer = this.#options.gateway.placer;
    if (placer.findStop === undefined && !this.#options.watching()) return false;
    const gap = mode === 'exchange' && entry.direction * (price - order.stopPrice) > 0;
    return !(gap && entry.parameters.closeOnGap && placer.closePosition !== undefined);
  }

  /** The feed crossed the stop: hold it (no moves) and ask the venue. */
  start(entry: StopEntry, price: number): void {
    entry.lastPrice = price;
    entry.confirming = true;
    entry.sync.cancel();
    this.#options.reporter.logger.info('The price crossed the stop; waiting for the venue to confirm', { key: entry.key, price, stopPrice: entry.stopPrice });
    void this.#confirm(entry);
  }

  /** A price fed while the stop waits: with no way to look it up, the price's return resumes it. */
  onTick(entry: StopEntry): void {
    if (this.#options.gateway.placer.findStop === undefined && this.#backOnProtectedSide(entry)) this.#resume(entry);
  }

  async #confirm(entry: StopEntry): Promise<void> {
    const { gateway, confirmTriggerMs, endings, work, closed, onExternalCancel } = this.#options;
    let wait = confirmTriggerMs;
    for (;;) {
      await this.#sleep(wait);
      wait = Math.min(wait * 2, confirmTriggerMs * 30);
      if (!entry.confirming || entry.ended || closed()) return;
      const order = entry.order;
      if (order === null || gateway.placer.findStop === undefined) continue;
      let found;
      try {
        const lookup = gateway.findStop(order.symbol, order.clientOrderId, entry.key);
        work.track(lookup.catch(() => undefined));
        found = await lookup;
      } catch {
        continue; // the venue cannot tell now: ask again later
      }
      if (!entry.confirming || entry.ended || entry.order !== order) return;
      if (found?.status === 'filled') {
        endings.venueFilled(entry, found.stopPrice, found.clientOrderId);
        return;
      }
      if (found === undefined || found.status === 'cancelled') {
        // Another registry may have removed the stop (or moved it) and cancelled this order: its
        // record says so. Only an order gone with the record unchanged was lost.
        let record;
        try {
          const reading = this.#options.writer.refresh(entry);
          work.track(reading.catch(() => undefined));
          record = await reading;
        } catch {
          continue; // the store cannot tell now: ask again later
        }
        if (record === 'gone') {
          if (!entry.ended && !entry.retiring) endings.removedElsewhere(entry, null);
          return;
        }
        if (!entry.confirming || entry.ended) return;
        if (entry.order?.id !== order.id) continue;
        endings.orderLost(entry, 'cancelled', onExternalCancel);
        return;
      }
      if (this.#backOnProtectedSide(entry)) {
        this.#resume(entry);
        return;
      }
    }
  }

  /** True when the last price fed is on the protected side of the stop again. */
  #backOnProtectedSide(entry: StopEntry): boolean {
    return entry.lastPrice === entry.lastPrice && entry.direction * (entry.lastPrice - entry.stopPrice) > 0;
  }

  /** The venue did not fill and the price came back: the stop goes on trailing; nothing triggered. */
  #resume(entry: StopEntry): void {
    entry.confirming = false;
    entry.triggered = false;
    this.#options.reporter.logger.info('The venue did not fill the stop and the price came back; trailing goes on', { key: entry.key });
    entry.sync.request();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => unref(this.#options.clock.setTimeout(resolve, ms)));
  }
}
