/**
 * The paper venue's order book: its stops by venue id and client order id, the last price per
 * symbol, and what happens to a stop (placed, moved, trailed, filled at the crossing price, partly
 * filled, cancelled, expired), each change reported as an {@link OrderUpdate}.
 */
import { describeValue } from '../../domain/validation.js';
import { ClientOrderIdUsedError, OrderNotFoundError, WouldTriggerError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { ClosePositionRequest, FindStopQuery, OrderSide, OrderUpdate, StopOrder, StopOrderRequest } from '../../ports/order-placer.js';
import { UnprotectedTime } from './unprotected-time.js';

/** A native trailing order's parameters and the best price it has seen since it armed. */
export interface PaperTrailing {
  /** Distance of the stop behind the best price, in percent. */
  callbackPercent: number;
  /** The price that arms it; absent: armed at the first price. */
  activationPrice?: number;
  /** Best price since it armed; absent until it arms. */
  best?: number;
}

/** A stop in the paper book. */
interface PaperOrder extends StopOrder {
  status: 'open' | 'filled' | 'cancelled';
  stopPrice: number;
  quantity: number;
  /** Executed so far (partial fills), base units. */
  filledQuantity: number;
  /** Sum of price × quantity of what executed so far (the average is this over `filledQuantity`). */
  filledValue: number;
  readonly trailing?: PaperTrailing;
}

/** The paper venue's orders and prices; see the module comment. */
export class PaperBook {
  /** Time each symbol went without an open stop. */
  readonly unprotected: UnprotectedTime;

  readonly #clock: Clock;
  readonly #report: (update: OrderUpdate) => void;
  readonly #orders = new Map<string, PaperOrder>();
  readonly #byClientOrderId = new Map<string, PaperOrder>();
  readonly #prices = new Map<string, number>();
  #nextId = 1;

  /**
   * @param clock Stamps the updates and the unprotected time.
   * @param report Hears every change of an order, as the venue's stream reports it.
   */
  constructor(clock: Clock, report: (update: OrderUpdate) => void) {
    this.#clock = clock;
    this.#report = report;
    this.unprotected = new UnprotectedTime(clock);
  }

  /**
   * Places a stop (a native trailing one when `trailing` is given). An id already open answers
   * that order again; an id used before is refused.
   *
   * @throws ClientOrderIdUsedError for an id of an order no longer open; WouldTriggerError for a
   *   stop the last price already crossed.
   */
  place(request: StopOrderRequest, trailing?: PaperTrailing): StopOrder {
    const existing = this.#byClientOrderId.get(request.clientOrderId);
    if (existing !== undefined && existing.status === 'open') return copy(existing);
    if (existing !== undefined) {
      throw new ClientOrderIdUsedError(request.clientOrderId);
    }
    const price = this.#prices.get(request.symbol);
    if (trailing === undefined && price !== undefined && crosses(request.side, request.stopPrice, price)) {
      throw new WouldTriggerError(
        `Stop ${request.stopPrice} for ${request.symbol} would immediately trigger at price ${price}`,
      );
    }
    const order: PaperOrder = {
      id: `paper-${this.#nextId++}`,
      clientOrderId: request.clientOrderId,
      symbol: request.symbol,
      side: request.side,
      quantity: request.quantity,
      stopPrice: request.stopPrice,
      status: 'open',
      filledQuantity: 0,
      filledValue: 0,
      ...(trailing ? { trailing: { ...trailing } } : {}),
    };
    this.#orders.set(order.id, order);
    this.#byClientOrderId.set(order.clientOrderId, order);
    this.unprotected.protect(order.symbol);
    this.#announce(order, 'open');
    return copy(order);
  }

  /**
   * Moves an open stop in place.
   *
   * @throws OrderNotFoundError when the order is not open; WouldTriggerError for a stop price the
   *   last price already crossed.
   */
  amend(order: StopOrder, stopPrice: number): StopOrder {
    const existing = this.#orders.get(order.id);
    if (existing === undefined || existing.status !== 'open') {
      throw new OrderNotFoundError(`Order ${order.id} is not open`);
    }
    const price = this.#prices.get(existing.symbol);
    if (price !== undefined && crosses(existing.side, stopPrice, price)) {
      throw new WouldTriggerError(`Stop ${stopPrice} for ${existing.symbol} would immediately trigger at price ${price}`);
    }
    existing.stopPrice = stopPrice;
    this.#announce(existing, existing.filledQuantity > 0 ? 'partially-filled' : 'open');
    return copy(existing);
  }

  /** The order placed with `query.clientOrderId` on `query.symbol`, any status. */
  find(query: FindStopQuery): StopOrder | undefined {
    const order = this.#byClientOrderId.get(query.clientOrderId);
    return order === undefined || order.symbol !== query.symbol ? undefined : copy(order);
  }

  /** Cancels the order with venue id `orderId` if open; a gone order is no error. Returns whether it was open. */
  cancel(orderId: string): boolean {
    const order = this.#orders.get(orderId);
    if (order === undefined || order.status !== 'open') return false;
    this.#close(order, 'cancelled');
    return true;
  }

  /** The position is flat: reduce-only semantics void its open stops on that side. */
  closePosition(request: ClosePositionRequest): void {
    for (const order of this.#orders.values()) {
      if (order.status === 'open' && order.symbol === request.symbol && order.side === request.side) {
        this.#close(order, 'cancelled');
      }
    }
  }

  /** Open stops right now, of `symbol` or all. */
  liveOrders(symbol?: string): StopOrder[] {
    const result: StopOrder[] = [];
    for (const order of this.#orders.values()) {
      if (order.status === 'open' && (symbol === undefined || order.symbol === symbol)) result.push(copy(order));
    }
    return result;
  }

  /** Every order ever placed, any status, in placement order. */
  allOrders(): StopOrder[] {
    return [...this.#orders.values()].map(copy);
  }

  /** Last price set for `symbol`, if any. */
  price(symbol: string): number | undefined {
    return this.#prices.get(symbol);
  }

  /** Sets the market price: trailing orders trail, crossed stops fill at `price`. Returns those filled. */
  setPrice(symbol: string, price: number): StopOrder[] {
    this.#prices.set(symbol, price);
    const filled: StopOrder[] = [];
    for (const order of this.#orders.values()) {
      if (order.status !== 'open' || order.symbol !== symbol) continue;
      if (order.trailing !== undefined) trail(order, price);
      const armed = order.trailing === undefined || order.trailing.best !== undefined;
      if (armed && crosses(order.side, order.stopPrice, price)) {
        this.#execute(order, order.quantity - order.filledQuantity, price);
        this.#close(order, 'filled');
        filled.push(copy(order));
      }
    }
    return filled;
  }

  /**
   * Executes `quantity` more of an open order at `price` (default: its stop price); what is left
   * filling closes it. Returns false when no open order has that id.
   *
   * @throws TypeError / RangeError for a quantity that is not a finite number in (0, remaining],
   *   or a price that is not a finite number > 0 (nothing changes).
   */
  fillPartially(orderId: string, quantity: number, price?: number): boolean {
    const order = this.#orders.get(orderId);
    if (order === undefined || order.status !== 'open') return false;
    const remaining = order.quantity - order.filledQuantity;
    // Binary noise (0.3 - 0.1 < 0.2) must not refuse a fill of exactly what is left.
    const tolerance = order.quantity * 1e-12;
    if (typeof quantity !== 'number' || Number.isNaN(quantity)) {
      throw new TypeError(`Expected \`quantity\` to be a number, got ${describeValue(quantity)}`);
    }
    if (!(quantity > 0 && quantity <= remaining + tolerance)) {
      throw new RangeError(`Expected \`quantity\` to be in (0, ${remaining}] (what is left of order ${orderId}), got ${describeValue(quantity)}`);
    }
    if (price !== undefined && (typeof price !== 'number' || !Number.isFinite(price) || price <= 0)) {
      throw new RangeError(`Expected \`price\` to be a finite number > 0, got ${describeValue(price)}`);
    }
    this.#execute(order, quantity, price ?? order.stopPrice);
    if (order.filledQuantity === order.quantity) {
      this.#close(order, 'filled');
    } else {
      this.#announce(order, 'partially-filled');
    }
    return true;
  }

  /** Voids an open order as the venue would (`expired` reported, `status` `cancelled`). Returns false when none is open with that id. */
  expire(orderId: string): boolean {
    const order = this.#orders.get(orderId);
    if (order === undefined || order.status !== 'open') return false;
    this.#close(order, 'cancelled', 'expired');
    return true;
  }

  #close(order: PaperOrder, status: 'filled' | 'cancelled', reported: OrderUpdate['status'] = status): void {
    order.status = status;
    this.#announce(order, reported);
    for (const other of this.#orders.values()) {
      if (other.status === 'open' && other.symbol === order.symbol) return;
    }
    this.unprotected.unprotect(order.symbol);
  }

  /** Books `quantity` more executed at `price`; what is left rounding to nothing fills the order exactly. */
  #execute(order: PaperOrder, quantity: number, price: number): void {
    order.filledValue += price * quantity;
    order.filledQuantity += quantity;
    // Binary noise (0.1 + 0.2) must neither keep a filled order open nor report 0.30000000000000004.
    if (Math.abs(order.quantity - order.filledQuantity) <= order.quantity * 1e-12) order.filledQuantity = order.quantity;
  }

  /** Reports `order` as it is now. */
  #announce(order: PaperOrder, status: OrderUpdate['status']): void {
    this.#report({
      clientOrderId: order.clientOrderId,
      id: order.id,
      symbol: order.symbol,
      status,
      ...(order.filledQuantity > 0
        ? { filledQuantity: order.filledQuantity, averagePrice: Number((order.filledValue / order.filledQuantity).toPrecision(12)) }
        : {}),
      timestamp: this.#clock.now(),
    });
  }
}

/** Moves a native trailing order behind the best price since it armed (at its activation price, if any). */
function trail(order: PaperOrder, price: number): void {
  const trailing = order.trailing!;
  const sign = order.side === 'sell' ? 1 : -1;
  if (trailing.best === undefined) {
    if (trailing.activationPrice !== undefined && sign * (price - trailing.activationPrice) < 0) return;
    trailing.best = price;
  }
  if (sign * (price - trailing.best) > 0) trailing.best = price;
  order.stopPrice = trailing.best * (1 - (sign * trailing.callbackPercent) / 100);
}

/** True when a stop on `side` at `stopPrice` is crossed by `price`. */
function crosses(side: OrderSide, stopPrice: number, price: number): boolean {
  return side === 'sell' ? price <= stopPrice : price >= stopPrice;
}

function copy(order: PaperOrder): StopOrder {
  return {
    id: order.id,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    quantity: order.quantity,
    stopPrice: order.stopPrice,
    status: order.status,
  };
}
