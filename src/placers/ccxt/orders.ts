/**
 * Reading ccxt order structures: which of them are this adapter's stops, and the
 * {@link StopOrder} each one is.
 */
import { ExchangeUnavailableError } from '../../errors.js';
import type { OrderSide, StopOrder } from '../../ports/order-placer.js';
import type { CcxtOrderLike } from './exchange.js';

/** What the adapter asked for, used where the venue's answer leaves a field out. */
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
 * The {@link StopOrder} of a ccxt order, completed from `requested` where the venue's answer is
 * short (a create answer that carries only ids).
 *
 * @throws ExchangeUnavailableError (unknown outcome) when the answer carries no order id.
 */
export function toStopOrder(exchangeId: string, order: CcxtOrderLike, requested?: RequestedStop): StopOrder {
  if (order.id === undefined || order.id === '') {
    throw new ExchangeUnavailableError(
      `${exchangeId} answered without an order id${requested ? ` for ${requested.clientOrderId}` : ''}; the order may exist`,
      { unknownOutcome: true },
    );
  }
  const side = order.side === 'buy' || order.side === 'sell' ? order.side : requested?.side;
  return {
    id: order.id,
    clientOrderId: order.clientOrderId ?? requested?.clientOrderId ?? '',
    symbol: order.symbol ?? requested?.symbol ?? '',
    side: side ?? 'sell',
    quantity: positiveOr(order.amount, requested?.quantity ?? Number.NaN),
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
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
