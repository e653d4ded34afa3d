/**
 * The venue's open stops for reconciliation, isolated per symbol: one request per symbol, each
 * with its own timeout under the gateway's concurrency bound, so one bad, delisted or slow symbol
 * is reported and left out while the others still count.
 */
import type { StopOrder } from '../ports/order-placer.js';
import { StoreError, TrailingStopError } from '../errors.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ReconcileReport, RecoveryReports } from './types.js';

/**
 * The venue's open stops, one request per symbol (each with its own timeout, under the
 * concurrency bound): a symbol that fails is reported and left out, the others still count.
 * `open` is `undefined` when the placer cannot list.
 */
export async function listOpenStops(
gateway: ExchangeGateway,
symbols: string[],
reports: Pick<RecoveryReports, 'error'>,
): Promise<{ open: StopOrder[] | undefined; failedSymbols: ReconcileReport['failedSymbols'] }> {
  if (gateway.placer.openStops === undefined) return { open: undefined, failedSymbols: [] };
  // With no symbol known, one request without symbols: venues that list every symbol answer it.
  const batches = symbols.length === 0 ? [[]] : symbols.map((symbol) => [symbol]);
  const results = await Promise.allSettled(batches.map((batch) => gateway.openStops(batch)));
  const open: StopOrder[] = [];
  const failedSymbols: { symbol: string; error: TrailingStopError }[] = [];
  results.forEach((result, index) => {
    const symbol = batches[index]![0];
    if (result.status === 'fulfilled') {
      open.push(...(result.value ?? []));
      return;
    }
    if (symbol === undefined) throw result.reason;
    const error =
      result.reason instanceof TrailingStopError ? result.reason : new StoreError(`Listing the open stops of ${symbol} failed`, { cause: result.reason });
    failedSymbols.push({ symbol, error });
    reports.error(error, { operation: 'reconcile' });
  });
  return { open: dedupe(open), failedSymbols };
}

/** `orders` without repeats (a venue that lists every symbol at once answers each request with all). */
function dedupe(orders: StopOrder[]): StopOrder[] {
  const seen = new Map<string, StopOrder>();
  for (const order of orders) seen.set(order.id, order);
  return [...seen.values()];
}
