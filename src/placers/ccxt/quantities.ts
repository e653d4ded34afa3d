/**
 * Quantities in base units at the port, contracts at ccxt. `StopOrderRequest.quantity` is in base
 * currency units; ccxt's `amount` is in contracts on contract markets (OKX BTC-USDT-SWAP: 0.01 BTC
 * per contract; Gate BTC_USDT: 0.0001; KuCoin XBTUSDTM: 0.001). The placer converts on the way out
 * (rounding down to the lot, never protecting more than the position) and back on the way in, so a
 * quantity compares equal across a round trip.
 */
import { ExchangeRejectedError } from '../../errors.js';
import type { CcxtExchangeLike, CcxtMarketLike } from './exchange.js';
import { fitToPrecision } from './precision.js';

/** Base units per contract of `symbol`'s market (1 where the market has no contract size or is not loaded). */
export function contractSizeOf(exchange: CcxtExchangeLike, symbol: string): number {
  const market = exchange.markets?.[symbol] as CcxtMarketLike | undefined;
  const size = market?.contractSize;
  return market?.contract === true && typeof size === 'number' && Number.isFinite(size) && size > 0 ? size : 1;
}

/**
 * The ccxt amount (contracts, on the market's lot grid, rounded down) for `quantity` base units.
 *
 * @throws ExchangeRejectedError when the quantity is below one lot or the market's minimum.
 */
export function toVenueAmount(exchange: CcxtExchangeLike, symbol: string, quantity: number): string {
  const size = contractSizeOf(exchange, symbol);
  const amount = fitToPrecision(exchange, symbol, 'amount', size === 1 ? quantity : quantity / size, 'down');
  const minimum = exchange.market(symbol).limits?.amount?.min;
  if (typeof minimum === 'number' && minimum > 0 && Number(amount) < minimum) {
    throw new ExchangeRejectedError(
      `${exchange.id} ${symbol}: quantity ${quantity} is ${amount} contracts, below the market's minimum of ${minimum}`,
    );
  }
  return amount;
}

/** Base units of `amount` contracts (exact to 12 significant digits: no binary noise). */
export function toBaseQuantity(exchange: CcxtExchangeLike, symbol: string, amount: number): number {
  const size = contractSizeOf(exchange, symbol);
  return size === 1 ? amount : Number((amount * size).toPrecision(12));
}
