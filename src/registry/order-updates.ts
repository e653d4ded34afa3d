/**
 * What the venue says happened to an order, applied to the stop it belongs to: from the placer's
 * order stream (`watchOrders`, subscribed once, resubscribed with backoff when it breaks) or handed
 * in by the bot (`registry.handleOrderUpdate`). Matched by client order id (any order of the
 * stop's position: current, or the other half of a move in flight), else by venue id. Idempotent:
 * a duplicate, or an update older than the last applied for that order, changes nothing.
 *
 * - `filled`: the position is flat: the stop triggered (source `venue`), nothing of it is left;
 * - `partially-filled` of the current order: the stop protects the rest;
 * - `cancelled` / `expired` / `rejected` of the current order, not by this registry: after a short
 *   grace the record is read again (another registry may have removed or moved the stop: then that
 *   is taken in); otherwise the order was lost (placed again, or released: `onExternalCancel`).
 *   The registry's own cancels change nothing.
 */
import type { OrderUpdate } from '../ports/order-placer.js';
import type { Clock } from '../ports/clock.js';
import { TrailingStopError, ValidationError, ExchangeUnavailableError } from '../errors.js';
import { clientOrderIdBaseOf } from '../domain/client-order-id.js';
import { checkNumber, describeValue, nonNegative, positive } from '../domain/validation.js';
import { unref } from '../domain/timers.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { StopBook } from '../stop/stop-book.js';
import type { StopEntry } from '../stop/stop-entry.js';
import type { Reporter } from './reporter.js';
import type { StopEndings } from './stop-endings.js';
import type { RecordWriter } from './record-writer.js';
import type { WorkTracker } from './work-tracker.js';

/** What the order updates need. */
export interface OrderUpdatesOptions {
  readonly book: StopBook;
  readonly gateway: ExchangeGateway;
  readonly endings: StopEndings;
  readonly reporter: Reporter;
  readonly clock: Clock;
  /** What to do with an order the venue lost (see `onExternalCancel`). */
  readonly onExternalCancel: 'replace' | 'release';
  /** First wait before resubscribing a broken stream, in ms (doubling up to 60 times it). */
  readonly resubscribeMs: number;
  readonly writer: RecordWriter;
  readonly work: WorkTracker;
  /** How long a cancel by someone else is given to show in the store (another registry's), in ms. */
  readonly graceMs: number;
}

const statuses = new Set(['open', 'partially-filled', 'filled', 'cancelled', 'expired', 'rejected']);

/** See the module comment. */
export class OrderUpdates {
  readonly #options: OrderUpdatesOptions;
  #stream: AbortController | undefined;
  /** Updates for orders of creations in flight, before the stop is published (bounded, oldest first). */
  readonly #early = new Map<string, OrderUpdate>();

  constructor(options: OrderUpdatesOptions) {
    this.#options = options;
  }

  /** True while the placer's order stream is subscribed. */
  get watching(): boolean {
    return this.#stream !== undefined && !this.#stream.signal.aborted;
  }

  /**
   * Applies one update; see the module comment. Returns true when it concerned one of this
   * registry's stop orders. Throws a {@link ValidationError} for a malformed update (nothing changes).
   */
  handle(update: OrderUpdate): boolean {
    checkOrderUpdate(update);
    const entry = this.#match(update);
    // An order resting as expected changes nothing (and the common update costs no bookkeeping).
    if (update.status === 'open') return entry !== undefined || (update.clientOrderId !== '' && this.#options.book.isCreatingBase(clientOrderIdBaseOf(update.clientOrderId)));
    if (entry === undefined) {
      // A creation in flight here placed this order and has not published its stop yet.
      if (update.clientOrderId === '' || !this.#options.book.isCreatingBase(clientOrderIdBaseOf(update.clientOrderId))) return false;
      this.#early.set(update.clientOrderId, update);
      if (this.#early.size > 1_024) this.#early.delete(this.#early.keys().next().value!);
      return true;
    }
    if (this.#seen(entry, update) || entry.ended) return true;
    const { endings, gateway, onExternalCancel } = this.#options;
    const order = entry.order;
    const current = order !== null && (order.clientOrderId === update.clientOrderId || (update.id !== undefined && order.id === update.id));
    switch (update.status) {
      case 'filled':
        endings.venueFilled(entry, update.averagePrice ?? (current ? order.stopPrice : entry.stopPrice), update.clientOrderId);
        break;
      case 'partially-filled':
        if (current && update.filledQuantity !== undefined) endings.partiallyFilled(entry, update.filledQuantity, update.averagePrice);
        break;
      case 'cancelled':
      case 'expired':
      case 'rejected':
        // What filled before the order left shrank the position: the rest is what is protected again.
        if (current && update.filledQuantity !== undefined) endings.partiallyFilled(entry, update.filledQuantity, update.averagePrice);
        if (current && !entry.retiring && !gateway.cancelledHere(order.clientOrderId)) this.#lost(entry, update.status, onExternalCancel);
        break;
      default:
        break;
    }
    return true;
  }

  /**
   * The current order left the venue, not by this registry's doing: another registry may have
   * removed or moved the stop (its record says so after a short grace), else the order was lost.
   */
  #lost(entry: StopEntry, status: 'cancelled' | 'expired' | 'rejected', action: 'replace' | 'release'): void {
    const { writer, endings, work, clock, graceMs } = this.#options;
    const order = entry.order!;
    work.track(
      (async () => {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, graceMs));
        if (entry.order?.id !== order.id || !entry.live) return;
        if ((await writer.refresh(entry)) === 'gone') {
          endings.removedElsewhere(entry, null);
          return;
        }
        if (entry.order?.id === order.id && entry.live) endings.orderLost(entry, status, action);
      })().catch((error: unknown) => {
        if (error instanceof TrailingStopError) this.#options.reporter.error(error, { operation: 'sync', key: entry.key });
      }),
    );
  }

  /**
   * The venue just confirmed a new order of `entry`: an update the stream delivered for it before
   * the placement answered (a cancel, an expiry, a fill) applies now instead of being lost.
   */
  afterPlaced(entry: StopEntry): void {
    const order = entry.order;
    const held = order === null ? undefined : this.#early.get(order.clientOrderId);
    if (held !== undefined) {
      this.#early.delete(held.clientOrderId);
      this.handle(held);
      return;
    }
    const early = order === null ? undefined : entry.appliedUpdates?.get(order.clientOrderId);
    if (early === undefined || entry.ended || order === null) return;
    if (early.status === 'filled') this.#options.endings.venueFilled(entry, order.stopPrice, order.clientOrderId);
    else if ((early.status === 'cancelled' || early.status === 'expired' || early.status === 'rejected') && !this.#options.gateway.cancelledHere(order.clientOrderId)) {
      this.#lost(entry, early.status, this.#options.onExternalCancel);
    }
  }

  /** Subscribes to the placer's order stream once (no-op without `watchOrders`, or when subscribed). */
  subscribe(): void {
    const placer = this.#options.gateway.placer;
    if (placer.watchOrders === undefined || this.#stream !== undefined) return;
    const stream = new AbortController();
    this.#stream = stream;
    void this.#listen(stream.signal);
  }

  /** Ends the subscription (close). */
  stop(): void {
    this.#stream?.abort();
  }

  async #listen(signal: AbortSignal): Promise<void> {
    const { gateway, reporter, clock, resubscribeMs } = this.#options;
    const listener = (update: OrderUpdate) => {
      if (signal.aborted) return;
      try {
        this.handle(update);
      } catch (error) {
        if (error instanceof TrailingStopError) reporter.error(error, { operation: 'watch' });
      }
    };
    let wait = resubscribeMs;
    while (!signal.aborted) {
      try {
        await gateway.placer.watchOrders!(listener, { signal });
        if (signal.aborted) return;
        wait = resubscribeMs;
      } catch (error) {
        if (signal.aborted) return;
        const failure = error instanceof TrailingStopError ? error : new ExchangeUnavailableError('The order stream broke; resubscribing', { cause: error });
        reporter.error(failure, { operation: 'watch' });
      }
      await new Promise<void>((resolve) => unref(clock.setTimeout(resolve, wait)));
      wait = Math.min(wait * 2, resubscribeMs * 60);
    }
  }

  /** The stop this update is about: by its position's client order id base, else by venue id. */
  #match(update: OrderUpdate): StopEntry | undefined {
    const book = this.#options.book;
    // By client order id when the venue sent one (an index); by venue id, scanning, only without.
    if (update.clientOrderId !== '') return book.byClientOrderIdBase(clientOrderIdBaseOf(update.clientOrderId));
    if (update.id === undefined) return undefined;
    for (const candidate of book.entries()) if (candidate.order?.id === update.id) return candidate;
    return undefined;
  }

  /** True when this update (or a newer one) for the same order was applied already; records it otherwise. */
  #seen(entry: StopEntry, update: OrderUpdate): boolean {
    const applied = (entry.appliedUpdates ??= new Map());
    const orderKey = update.clientOrderId === '' ? `id:${update.id}` : update.clientOrderId;
    const previous = applied.get(orderKey);
    const filled = update.filledQuantity ?? 0;
    if (previous !== undefined) {
      // Only two timestamped updates are ordered; one without a timestamp is never "older".
      if (update.timestamp !== undefined && update.timestamp < previous.timestamp) return true;
      if (previous.status === update.status && previous.filled === filled) return true;
    }
    const timestamp = Math.max(update.timestamp ?? Number.NEGATIVE_INFINITY, previous?.timestamp ?? Number.NEGATIVE_INFINITY);
    applied.set(orderKey, { timestamp, status: update.status, filled });
    return false;
  }
}

/** Checks an order update before anything changes (I8); throws {@link ValidationError}. */
export function checkOrderUpdate(update: unknown): asserts update is OrderUpdate {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    throw new ValidationError('update', `Expected the order update to be an object, got ${describeValue(update)}`);
  }
  const value = update as Record<string, unknown>;
  if (typeof value.symbol !== 'string' || value.symbol.length === 0 || value.symbol.length > 256) {
    throw new ValidationError('symbol', `Expected \`symbol\` to be a non-empty string, got ${describeValue(value.symbol)}`);
  }
  if (value.id !== undefined && (typeof value.id !== 'string' || value.id.length === 0)) {
    throw new ValidationError('id', `Expected \`id\` to be a non-empty string, got ${describeValue(value.id)}`);
  }
  // A venue that sent no client order id: '' with the venue's id, which then matches.
  const clientOrderId = value.clientOrderId;
  if (typeof clientOrderId !== 'string' || clientOrderId.length > 256 || (clientOrderId.length === 0 && value.id === undefined)) {
    throw new ValidationError('clientOrderId', `Expected \`clientOrderId\` to be a string (empty only with \`id\`), got ${describeValue(clientOrderId)}`);
  }
  if (!statuses.has(value.status as string)) {
    throw new ValidationError('status', `Expected \`status\` to be one of ${[...statuses].join(', ')}, got ${describeValue(value.status)}`);
  }
  const checks = [
    ['filledQuantity', nonNegative],
    ['averagePrice', positive],
    ['timestamp', nonNegative],
  ] as const;
  for (const [field, bounds] of checks) {
    if (value[field] === undefined) continue;
    const message = checkNumber(field, value[field], bounds);
    if (message !== undefined) throw new ValidationError(field, message);
  }
}
