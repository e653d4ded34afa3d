/**
 * Bitget USDT-M perpetual futures (`bitget`), classic accounts in one-way mode (v2 mix API; ccxt
 * asks `GET /api/v3/account/settings` and takes the unified-account API when it answers: not
 * verified). A stop is a partial stop-loss plan: `POST /api/v2/mix/order/place-tpsl-order` with
 * `planType=loss_plan`, `size`, `triggerPrice`, `holdSide` (the position's side, `buy` for a
 * long) and `clientOid`, executed at market. A `loss_plan` only reduces its position and triggers
 * against it (below the price for a long's stop): the venue refuses one already crossed (40917
 * long, 45122 short). ccxt's default for `stopLossPrice`, `pos_loss`, would close the whole
 * position whatever the size; its default listing (`normal_plan`) would never show a `loss_plan`.
 *
 * - Client order id: `clientOid`, unchanged (at most 36 here).
 * - Cancel: `POST /api/v2/mix/order/cancel-plan-order` with `planType=loss_plan` and
 *   `orderIdList: [{ orderId }]` or `[{ clientOid }]`. Refusals come back in `data.failureList`,
 *   which ccxt does not raise: a cancel counts only when `successList` names the order (else the
 *   order is looked up again, and one still live is not reported cancelled).
 * - Find: `GET /api/v2/mix/order/orders-plan-pending?planType=profit_loss`, then
 *   `orders-plan-history`; list: `orders-plan-pending` per symbol.
 * - Amend: the venue has `modify-tpsl-order`; not wired: moves are make-before-break.
 * - Trigger price: `triggerType` `mark_price` (what ccxt sends when nothing is set) or `fill_price` (last).
 * - Native trailing: `moving_plan` / `track_plan` exist; not offered.
 * - A triggered plan's `planStatus` becomes `executed` (reported `filled`).
 * - Quantities are in base units (`contractSize` 1).
 * - No documented code for a duplicate `clientOid` was found: a refused placement looks its id up
 *   and adopts an open order holding it (`lookupOnRefusal`).
 *
 * @see https://www.bitget.com/api-doc/contract/plan/Place-Tpsl-Order
 * @see https://www.bitget.com/api-doc/contract/plan/Cancel-Plan-Order
 * @see https://www.bitget.com/api-doc/contract/plan/get-orders-plan-pending
 * @see https://www.bitget.com/api-doc/contract/plan/orders-plan-history
 * @see https://www.bitget.com/api-doc/common/error-code/restapi
 */
import { sameIds } from '../client-order-ids.js';
import type { VenueProfile } from '../venue-profile.js';

/** The Bitget USDT-M perpetual profile (classic account, one-way mode). */
export const bitgetProfile: VenueProfile = {
  name: 'bitget',
  exchangeIds: ['bitget'],
  clientOrderIds: sameIds(36),
  stopOrder: (stop) => ({
    type: 'market',
    params: { stopLossPrice: stop.stopPrice, planType: 'loss_plan', clientOrderId: stop.clientOrderId },
  }),
  canAmend: false,
  nativeTrailing: undefined,
  triggerPriceTypeParams: {
    mark: { triggerType: 'mark_price' },
    last: { triggerType: 'fill_price' },
  },
  defaultTriggerPriceType: 'mark',
  cancelParams: { trigger: true, planType: 'loss_plan' },
  cancelByClientOrderId: { param: 'clientOrderId' }, // ccxt sends orderIdList: [{ clientOid }]
  confirmsCancel: (answer) => {
    const id = (answer as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' && id !== ''; // parsed from successList[0]; {} when it is empty
  },
  listParams: { planType: 'profit_loss' },
  lookup: { kind: 'open-then-closed', historyParams: { planType: 'profit_loss' } },
  lookupOnRefusal: true,
  codes: {
    wouldTrigger: ['40917', '45122'],
    duplicateClientOrderId: [],
    gone: ['40768', '43025', '40109'],
    nothingToReduce: [],
    rateLimited: ['429', '1001'],
    unknownOutcome: ['40010'],
  },
};
