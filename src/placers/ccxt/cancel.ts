/**
 * Cancelling a stop so that "done" means the venue confirmed it: by venue order id, or by client
 * order id where the venue takes one (else the order is looked up first); an answer the profile
 * does not accept as a confirmation (Bitget's `failureList`) is checked by looking again.
 */
import { ExchangeUnavailableError } from '../../errors.js';
import type { StopOrder } from '../../ports/order-placer.js';
import { classifyFailure } from './failures.js';
import { lookupStop, type LookupContext } from './lookup.js';

/**
 * Cancels `order` and resolves once the venue confirmed it, or once it shows the order is no
 * longer open (already filled or cancelled counts as cancelled). Markets must be loaded.
 *
 * @throws ExchangeUnavailableError (known outcome) when the venue did not confirm and still shows the order open.
 */
export async function cancelStopOrder(context: LookupContext, order: StopOrder): Promise<void> {
  const { exchange, profile } = context;
  let target = order;
  if (order.id === '' && profile.cancelByClientOrderId === 'lookup') {
    const found = await lookupStop(context, order);
    // The venue, asked by client order id, holds no open order under it: nothing to cancel.
    if (found === undefined || found.status !== 'open') return;
    target = found;
  }
  const byClientOrderId =
    target.id === '' && profile.cancelByClientOrderId !== 'lookup'
      ? { [profile.cancelByClientOrderId.param]: profile.clientOrderIds.encode(order.clientOrderId) }
      : {};
  let answer: unknown;
  try {
    answer = await exchange.cancelOrder(target.id === '' ? undefined : target.id, target.symbol, {
      ...profile.cancelParams,
      ...byClientOrderId,
    });
  } catch (error) {
    const failure = classifyFailure(context, 'cancelStop', order, error);
    if (failure.kind === 'gone') return;
    throw failure.error;
  }
  if (profile.confirmsCancel === undefined || profile.confirmsCancel(answer, target)) return;
  // The venue answered without confirming (a refusal ccxt does not raise): an order still open was not cancelled.
  const after = await lookupStop(context, order);
  if (after?.status !== 'open') return;
  throw new ExchangeUnavailableError(
    `${exchange.id} cancelStop ${order.symbol} (${order.clientOrderId}): the venue did not confirm the cancel and the order is still open`,
    { unknownOutcome: false },
  );
}
