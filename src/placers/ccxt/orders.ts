/**
 * Reading ccxt order structures: which of them are this adapter's stops, and the
 * {@link StopOrder} each one is, in the port's words: the registry's client order id (decoded
 * from the venue's form), the quantity in base units (converted from contracts).
 */
import { ExchangeUnavailableError } from '../../errors.js';
import type { OrderSide, StopOrder } from '../../ports/order-placer.js';
import type { CcxtExchangeLike, CcxtOrderLike } from './exchange.js';
import { toBaseQuantity } from './quantities.js';
import type { VenueProfile } from './venue-profile.js';

/** What reading an order needs of the placer. */
export interface OrderContext {
  readonly exchange: CcxtExchangeLike;
  readonly profile: VenueProfile;
  /** The account is in hedge mode (reduce-only flags are not reported there). */
  readonly hedged: boolean;
}

/** What the adapter asked for (base units, the registry's id), used where the venue's answer is short. */
export interface RequestedStop {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly stopPrice: number;
  readonly clientOrderId: string;
}

/** True for a reduce-only conditional or trailing order (any reduce-only flag in hedge mode). */
export function isStopOrder(order: CcxtOrderLike, hedged: boolean): boolean {
  if (order.reduceOnly === false && !hedged) return false;
  const type = (order.type ?? '').toLowerCase();
  return triggerOf(order) !== undefined || type.includes('stop') || type.includes('trailing');
}

/**
 * The registry's client order id of a venue order: the venue's id decoded by the profile's codec,
 * or the venue's id as it is when it is not the encoding of any registry id.
 */
export function clientOrderIdOf(context: OrderContext, order: CcxtOrderLike): string | undefined {
  const venueId = context.profile.clientOrderIdOf ? context.profile.clientOrderIdOf(order) : order.clientOrderId;
  if (venueId === undefined || venueId === '') return undefined;
  return context.profile.clientOrderIds.decode(venueId) ?? venueId;
}

/**
 * The {@link StopOrder} of a ccxt order, completed from `requested` where the venue's answer is
 * short (a create answer that carries only ids).
 *
 * @throws ExchangeUnavailableError (unknown outcome) when the answer carries no order id.
 */
export function toStopOrder(context: OrderContext, order: CcxtOrderLike, requested?: RequestedStop): StopOrder {
  const exchange = context.exchange;
  if (order.id === undefined || order.id === '') {
    throw new ExchangeUnavailableError(
      `${exchange.id} answered without an order id${requested ? ` for ${requested.clientOrderId}` : ''}; the order may exist`,
      { unknownOutcome: true },
    );
  }
  const side = order.side === 'buy' || order.side === 'sell' ? order.side : requested?.side;
  const symbol = order.symbol ?? requested?.symbol ?? '';
  const amount = positive(order.amount);
  return {
    id: order.id,
    clientOrderId: clientOrderIdOf(context, order) ?? requested?.clientOrderId ?? '',
    symbol,
    side: side ?? 'sell',
    quantity: amount === undefined ? (requested?.quantity ?? Number.NaN) : toBaseQuantity(exchange, symbol, amount),
    // 0 = not known yet (a native trailing order before it trails), as PaperExchange reports it.
    stopPrice: triggerOf(order) ?? requested?.stopPrice ?? 0,
    status: statusOf(order.status),
  };
}

/** The unified status as the port's lifecycle. */
export function statusOf(status: string | undefined): 'open' | 'filled' | 'cancelled' {
  switch (status) {
    case 'closed':
      return 'filled';
    case 'canceled':
    case 'cancelled':
    case 'expired':
    case 'rejected':
      return 'cancelled';
    default:
      return 'open';
  }
}

function triggerOf(order: CcxtOrderLike): number | undefined {
  for (const value of [order.triggerPrice, order.stopPrice, order.stopLossPrice]) {
    const price = positive(value);
    if (price !== undefined) return price;
  }
  return undefined;
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
