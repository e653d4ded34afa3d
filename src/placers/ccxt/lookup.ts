/**
 * Finding this adapter's stops on the venue: one by client order id (the profile says how) and
 * all open ones on a set of symbols, and the answer to a duplicate-id refusal (adopt the holder).
 */
import { ClientOrderIdUsedError, ExchangeUnavailableError } from '../../errors.js';
import type { FindStopQuery, StopOrder } from '../../ports/order-placer.js';
import type { CcxtOrderLike } from './exchange.js';
import { classifyFailure, type Failure, type FailureContext, type Operation } from './failures.js';
import { clientOrderIdOf, isStopOrder, statusOf, toStopOrder, type OrderContext } from './orders.js';

/** What lookups need of the placer. */
export interface LookupContext extends FailureContext, OrderContext {}

/**
 * The stop holding `query.clientOrderId` (the registry's id), open or finished, or `undefined`
 * when the venue does not know the id (or the order is not a stop). Markets must be loaded.
 */
export async function lookupStop(context: LookupContext, query: FindStopQuery): Promise<StopOrder | undefined> {
  const { exchange, profile } = context;
  const { symbol, clientOrderId } = query;
  const venueId = profile.clientOrderIds.encode(clientOrderId);
  const matches = (order: CcxtOrderLike) => clientOrderIdOf(context, order) === clientOrderId && isStopOrder(order, context.hedged);
  const found = (order: CcxtOrderLike | undefined) => (order === undefined ? undefined : toStopOrder(context, order));
  const lookup = profile.lookup;
  try {
    switch (lookup.kind) {
      case 'fetch-order': {
        const order = await exchange.fetchOrder(venueId, symbol, { ...lookup.params, clientOrderId: venueId });
        return matches(order) ? found(order) : undefined;
      }
      case 'open-then-history': {
        const byId = { ...profile.listParams, [lookup.param]: venueId };
        const open = (await exchange.fetchOpenOrders(symbol, undefined, undefined, byId)).find(matches);
        if (open !== undefined) return found(open);
        if (exchange.has['fetchCanceledAndClosedOrders'] !== true || !exchange.fetchCanceledAndClosedOrders) return undefined;
        const finished = await exchange.fetchCanceledAndClosedOrders(symbol, undefined, undefined, byId);
        return found(finished.find(matches));
      }
      case 'open-then-closed': {
        const open = (await exchange.fetchOpenOrders(symbol, undefined, undefined, { ...profile.listParams })).find(matches);
        if (open !== undefined) return found(open);
        const both = exchange.fetchCanceledAndClosedOrders;
        if (exchange.has['fetchCanceledAndClosedOrders'] === true && both !== undefined) {
          return found((await both.call(exchange, symbol, undefined, undefined, { ...lookup.historyParams })).find(matches));
        }
        for (const method of ['fetchClosedOrders', 'fetchCanceledOrders'] as const) {
          const fetch = exchange[method];
          if (exchange.has[method] !== true || fetch === undefined) continue;
          const order = (await fetch.call(exchange, symbol, undefined, undefined, { ...lookup.historyParams })).find(matches);
          if (order !== undefined) return found(order);
        }
        return undefined;
      }
    }
  } catch (error) {
    const failure = classifyFailure(context, 'findStop', query, error);
    if (failure.kind === 'gone') return undefined;
    throw failure.error;
  }
}

/**
 * Every open reduce-only conditional or trailing order on `symbols` (one venue call per symbol;
 * with none, one call without a symbol), by venue order id. Markets must be loaded.
 */
export async function listOpenStops(context: LookupContext, symbols: readonly string[]): Promise<StopOrder[]> {
  const { exchange, profile } = context;
  const result = new Map<string, StopOrder>();
  for (const symbol of symbols.length === 0 ? [undefined] : symbols) {
    let orders: CcxtOrderLike[];
    try {
      orders = await exchange.fetchOpenOrders(symbol, undefined, undefined, { ...profile.listParams });
    } catch (error) {
      throw classifyFailure(context, 'openStops', symbol === undefined ? {} : { symbol }, error).error;
    }
    for (const order of orders) {
      if (!isStopOrder(order, context.hedged) || statusOf(order.status) !== 'open' || order.id === undefined) continue;
      result.set(order.id, toStopOrder(context, order));
    }
  }
  return [...result.values()];
}

/**
 * Answers a venue's duplicate-client-order-id refusal: the open order holding the id is adopted
 * (a retry of a placement that went through). Markets must be loaded.
 *
 * @throws ClientOrderIdUsedError when the id belongs to an order that is no longer open.
 * @throws ExchangeUnavailableError (unknown outcome) when the holder cannot be found yet.
 */
export async function adoptHolderOf(
  context: LookupContext,
  operation: Operation,
  request: { readonly symbol: string; readonly clientOrderId: string },
  failure: Failure,
): Promise<StopOrder> {
  const exchangeId = context.exchange.id;
  const existing = await lookupStop(context, request);
  if (existing?.status === 'open' || (existing !== undefined && existing.status === undefined)) {
    context.logger.info(`${operation}: adopted the open order that already holds the client order id`, {
      venue: exchangeId,
      symbol: request.symbol,
      clientOrderId: request.clientOrderId,
      orderId: existing.id,
    });
    return existing;
  }
  if (existing !== undefined) {
    throw new ClientOrderIdUsedError(
      request.clientOrderId,
      `${exchangeId} ${operation} ${request.symbol}: client order id ${request.clientOrderId} was already used by an order that is ${existing.status}`,
      { cause: failure.error.cause },
    );
  }
  // The venue says the id is taken but cannot show the order yet: let the caller retry the lookup.
  throw new ExchangeUnavailableError(
    `${exchangeId} ${operation} ${request.symbol}: client order id ${request.clientOrderId} is taken but the order could not be found yet`,
    { cause: failure.error.cause, unknownOutcome: true },
  );
}
