/**
 * Hyperliquid perpetuals (`hyperliquid`, USDC-margined: `BTC/USDC:USDC`). A stop is a reduce-only
 * trigger order through `POST /exchange` `{ type: 'order' }` with
 * `t: { trigger: { isMarket: true, triggerPx, tpsl: 'sl' } }` and a `cloid`; ccxt signs the action
 * with the wallet key. A market trigger order still carries a limit price `p` that bounds its
 * slippage: ccxt computes it from the `price` argument and its `defaultSlippage` (5 %), and the
 * profile passes the stop price, so a sell stop at 95 may fill down to 90.25 (a last-price based
 * bound would leave a gap through the stop unfilled).
 *
 * - Client order id: `cloid`, `0x` and 32 hex digits (128 bits): the registry's ids (at most 21
 *   characters) are packed into it (`hexIds`) and decoded from what the venue returns.
 * - Cancel: `{ type: 'cancel', cancels: [{ a, o }] }` or `{ type: 'cancelByCloid' }`.
 * - Find: `POST /info { type: 'orderStatus', oid: cloid }` (open and finished); list:
 *   `{ type: 'frontendOpenOrders' }` (trigger orders included, `isTrigger: true`).
 * - Amend: the venue has `modify`; not wired: moves are make-before-break.
 * - Trigger price: the mark price (Hyperliquid triggers TP/SL on the mark; there is no choice).
 * - Native trailing: none.
 * - A stop whose trigger the mark already crossed triggers at once (no refusal).
 * - Quantities are in base units (`szDecimals`); orders must be worth at least $10.
 * - Errors are messages in `statuses[].error` or `response` (`status: 'err'`); the profile reads
 *   them into labels (`ORDER_NOT_FOUND`, `REDUCE_ONLY_WOULD_INCREASE`, `RATE_LIMITED`, ...).
 *   No documented message for a duplicate `cloid` was found: a refused placement looks its id up
 *   and adopts an open order holding it (`lookupOnRefusal`).
 * - ccxt (not this adapter) approves its builder fee and sets its referrer on the first order; see
 *   ccxt's `builderFee` / `approvedBuilderFee` options.
 *
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/exchange-endpoint#place-an-order
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/exchange-endpoint#cancel-order-s
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint#query-order-status-by-oid-or-cloid
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint#retrieve-a-users-open-orders-with-additional-frontend-info
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/error-responses
 */
import { hexIds } from '../client-order-ids.js';
import { embeddedBody } from '../errors.js';
import type { VenueProfile } from '../venue-profile.js';

/** Hyperliquid's error messages (by their stable start) and the labels the profile reads them as. */
const errorLabels: readonly (readonly [string, string])[] = [
  ['Order was never placed, already canceled, or filled', 'ORDER_NOT_FOUND'],
  ['Reduce only order would increase position', 'REDUCE_ONLY_WOULD_INCREASE'],
  ['Too many cumulative requests sent', 'RATE_LIMITED'],
  ['Insufficient margin to place order', 'INSUFFICIENT_MARGIN'],
  ['Order must have minimum value of $10', 'MINIMUM_VALUE'],
  ['Price must be divisible by tick size', 'TICK_SIZE'],
  ['Order has invalid size', 'INVALID_SIZE'],
  ['Order price cannot be more than 80% away from the reference price', 'PRICE_TOO_FAR'],
];

/** The error message of a Hyperliquid body: `response` of `status: 'err'`, else the first `statuses[].error`. */
function errorMessageOf(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { status, response } = body as { status?: unknown; response?: unknown };
  if (status === 'unknownOid') return 'unknownOid';
  if (status === 'err' && typeof response === 'string') return response;
  const statuses = (response as { data?: { statuses?: unknown } } | undefined)?.data?.statuses;
  if (!Array.isArray(statuses)) return undefined;
  for (const item of statuses) {
    const error = (item as { error?: unknown } | null)?.error;
    if (typeof error === 'string') return error;
  }
  return undefined;
}

/** The Hyperliquid perpetuals profile. */
export const hyperliquidProfile: VenueProfile = {
  name: 'hyperliquid',
  exchangeIds: ['hyperliquid'],
  clientOrderIds: hexIds(),
  stopOrder: (stop) => ({
    type: 'market',
    price: Number(stop.stopPrice), // the slippage bound of the triggered market order starts at the stop
    params: { stopLossPrice: stop.stopPrice, clientOrderId: stop.clientOrderId },
  }),
  canAmend: false,
  nativeTrailing: undefined,
  triggerPriceTypeParams: { mark: {} },
  defaultTriggerPriceType: 'mark',
  cancelParams: {},
  cancelByClientOrderId: { param: 'clientOrderId' }, // cancelByCloid
  listParams: {},
  lookup: { kind: 'fetch-order', params: {} }, // orderStatus by cloid
  lookupOnRefusal: true,
  errorCodeOf(message) {
    const text = errorMessageOf(embeddedBody(message));
    if (text === undefined) return undefined;
    if (text === 'unknownOid') return 'UNKNOWN_OID';
    return errorLabels.find(([start]) => text.startsWith(start))?.[1] ?? text.slice(0, 60);
  },
  codes: {
    wouldTrigger: [],
    duplicateClientOrderId: [],
    gone: ['ORDER_NOT_FOUND', 'UNKNOWN_OID'],
    nothingToReduce: ['REDUCE_ONLY_WOULD_INCREASE'],
    rateLimited: ['RATE_LIMITED'],
    unknownOutcome: [],
  },
};
