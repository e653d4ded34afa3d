/**
 * The `OrderPlacer` conformance suite (vitest). `PaperExchange` and `CcxtOrderPlacer` (over a
 * scripted Binance and Bybit) pass it; run it on your own placer to check it keeps the contract the
 * registry relies on (docs/design.md section 5): idempotent placement by client order id, cancel of a
 * gone order succeeds, lookup by client order id, an exact list of live stops, amend where declared.
 */
import { describe, expect, it } from 'vitest';
import type { OrderPlacer, PlacerCallOptions, StopOrder } from '../ports/order-placer.js';

/** What an {@link OrderPlacerFactory} returns for one test. */
export interface OrderPlacerFixture {
  /** A fresh placer over an empty venue (no open stops), used by one test only. */
  readonly placer: OrderPlacer;
  /** Symbol to place on, e.g. `BTC/USDT:USDT`. */
  readonly symbol: string;
  /** Quantity to place, already on the venue's amount grid. */
  readonly quantity: number;
  /** A sell (long-closing) stop the venue accepts now: below the market, on the price grid. */
  readonly sellStopPrice: number;
  /** A buy (short-closing) stop the venue accepts now: above the market, on the price grid. */
  readonly buyStopPrice: number;
  /** A tighter sell stop for the amend test: between `sellStopPrice` and the market, on the grid. */
  readonly movedSellStopPrice: number;
  /** Releases what the fixture created; called after each test. */
  readonly cleanup?: () => void | Promise<void>;
}

/** Creates the fixture for one test: called once per test. */
export type OrderPlacerFactory = () => OrderPlacerFixture | Promise<OrderPlacerFixture>;

/** What the placer under test promises; every flag optional. */
export interface OrderPlacerSuiteCapabilities {
  /**
   * `true`: `amendStop` must exist and move a stop in place. `false`: `amendStop` must be absent
   * (`undefined`), so the registry replaces make-before-break. Unset: not checked.
   */
  readonly amend?: boolean;
  /** `findStop` must exist and work. Default true. */
  readonly findStop?: boolean;
  /** `openStops` must exist and list exactly the live stops. Default true. */
  readonly openStops?: boolean;
}

let sequence = 0;

/** A client order id unique within the process, in the charset every venue accepts. */
function nextClientOrderId(): string {
  sequence += 1;
  return `conformance-${sequence.toString(36)}`;
}

function callOptions(): PlacerCallOptions {
  return { signal: new AbortController().signal };
}

async function withFixture(factory: OrderPlacerFactory, test: (fixture: OrderPlacerFixture) => Promise<void>) {
  const fixture = await factory();
  try {
    await test(fixture);
  } finally {
    await fixture.cleanup?.();
  }
}

function expectOpen(order: StopOrder): void {
  expect(order.status === undefined || order.status === 'open', `status of ${order.clientOrderId}`).toBe(true);
}

/**
 * Defines a vitest `describe` block that checks `factory`'s placers against the
 * {@link OrderPlacer} contract:
 *
 * - `placeStop` resolves to an open order carrying the requested fields and a venue id;
 * - placing an open client order id again (one after the other, and concurrently) resolves to the
 *   same order, and the venue holds one open order for it;
 * - `cancelStop` removes the order, and cancelling a gone or never-known order succeeds;
 * - `findStop` finds an open stop by client order id and resolves `undefined` for an unknown id;
 * - `openStops` lists exactly the live stops;
 * - `amendStop` moves a stop in place when `capabilities.amend` is true, and is absent when false.
 *
 * Every test gets a fresh placer over an empty venue from `factory`. Nothing reads the wall clock.
 *
 * @param name - Title of the `describe` block, e.g. the adapter's class name.
 * @param factory - Creates a fresh placer and the symbol, quantity and prices to use, per test.
 * @param capabilities - What the placer promises; see {@link OrderPlacerSuiteCapabilities}.
 *
 * @example
 * ```ts
 * // test/my-placer.test.ts
 * import { describeOrderPlacer } from 'trailing-stop-registry/testing';
 * import { MyPlacer } from '../src/my-placer.js';
 *
 * describeOrderPlacer('MyPlacer', () => ({
 *   placer: new MyPlacer(testVenue()),
 *   symbol: 'BTC/USDT:USDT',
 *   quantity: 0.01,
 *   sellStopPrice: 90,
 *   buyStopPrice: 110,
 *   movedSellStopPrice: 95,
 * }), { amend: false });
 * ```
 */
export function describeOrderPlacer(
  name: string,
  factory: OrderPlacerFactory,
  capabilities: OrderPlacerSuiteCapabilities = {},
): void {
  const checkFind = capabilities.findStop !== false;
  const checkList = capabilities.openStops !== false;

  describe(`${name} (OrderPlacer conformance)`, () => {
    it('placeStop resolves to an open order with the requested fields and a venue id', async () => {
      await withFixture(factory, async ({ placer, symbol, quantity, sellStopPrice, buyStopPrice }) => {
        for (const [side, stopPrice] of [
          ['sell', sellStopPrice],
          ['buy', buyStopPrice],
        ] as const) {
          const clientOrderId = nextClientOrderId();
          const order = await placer.placeStop({ symbol, side, quantity, stopPrice, clientOrderId }, callOptions());
          expect(typeof order.id).toBe('string');
          expect(order.id.length).toBeGreaterThan(0);
          expect(order).toMatchObject({ clientOrderId, symbol, side });
          expect(order.quantity).toBeCloseTo(quantity, 9);
          expect(order.stopPrice).toBeCloseTo(stopPrice, 9);
          expectOpen(order);
        }
      });
    });

    it('placing an open client order id again resolves to the same order, not a second one', async () => {
      await withFixture(factory, async ({ placer, symbol, quantity, sellStopPrice }) => {
        const request = { symbol, side: 'sell' as const, quantity, stopPrice: sellStopPrice, clientOrderId: nextClientOrderId() };
        const first = await placer.placeStop(request, callOptions());
        const second = await placer.placeStop(request, callOptions());
        expect(second.id).toBe(first.id);
        expect(second.clientOrderId).toBe(request.clientOrderId);
        if (checkList && placer.openStops) {
          const live = await placer.openStops(callOptions());
          expect(live.filter((order) => order.clientOrderId === request.clientOrderId)).toHaveLength(1);
        }
      });
    });

    it('concurrent placements of one client order id resolve to one order', async () => {
      await withFixture(factory, async ({ placer, symbol, quantity, sellStopPrice }) => {
        const request = { symbol, side: 'sell' as const, quantity, stopPrice: sellStopPrice, clientOrderId: nextClientOrderId() };
        const orders = await Promise.all([1, 2, 3].map(() => placer.placeStop(request, callOptions())));
        expect(new Set(orders.map((order) => order.id)).size).toBe(1);
        if (checkList && placer.openStops) {
          const live = await placer.openStops(callOptions());
          expect(live.filter((order) => order.clientOrderId === request.clientOrderId)).toHaveLength(1);
        }
      });
    });

    it('cancelStop removes the order, and cancelling it again succeeds', async () => {
      await withFixture(factory, async ({ placer, symbol, quantity, sellStopPrice }) => {
        const clientOrderId = nextClientOrderId();
        const order = await placer.placeStop(
          { symbol, side: 'sell', quantity, stopPrice: sellStopPrice, clientOrderId },
          callOptions(),
        );
        await placer.cancelStop(order, callOptions());
        await expect(placer.cancelStop(order, callOptions())).resolves.toBeUndefined();
        if (checkList && placer.openStops) {
          const live = await placer.openStops(callOptions());
          expect(live.map((stop) => stop.clientOrderId)).not.toContain(clientOrderId);
        }
        if (checkFind && placer.findStop) {
          const found = await placer.findStop({ symbol, clientOrderId }, callOptions());
          expect(found === undefined || found.status === 'cancelled', `findStop after cancel: ${found?.status}`).toBe(true);
        }
      });
    });

    it('cancelStop of an order the venue never knew succeeds', async () => {
      await withFixture(factory, async ({ placer, symbol, quantity, sellStopPrice }) => {
        const ghost: StopOrder = {
          id: '987654321',
          clientOrderId: nextClientOrderId(),
          symbol,
          side: 'sell',
          quantity,
          stopPrice: sellStopPrice,
        };
        await expect(placer.cancelStop(ghost, callOptions())).resolves.toBeUndefined();
      });
    });

    if (checkFind) {
      it('findStop finds an open stop by client order id', async () => {
        await withFixture(factory, async ({ placer, symbol, quantity, buyStopPrice }) => {
          expect(placer.findStop, 'findStop').toBeTypeOf('function');
          const clientOrderId = nextClientOrderId();
          const placed = await placer.placeStop(
            { symbol, side: 'buy', quantity, stopPrice: buyStopPrice, clientOrderId },
            callOptions(),
          );
          const found = await placer.findStop!({ symbol, clientOrderId }, callOptions());
          expect(found).toBeDefined();
          expect(found).toMatchObject({ id: placed.id, clientOrderId, symbol, side: 'buy' });
          expect(found!.stopPrice).toBeCloseTo(buyStopPrice, 9);
          expect(found!.quantity).toBeCloseTo(quantity, 9);
          expectOpen(found!);
        });
      });

      it('findStop resolves undefined for a client order id the venue does not know', async () => {
        await withFixture(factory, async ({ placer, symbol }) => {
          await expect(placer.findStop!({ symbol, clientOrderId: nextClientOrderId() }, callOptions())).resolves.toBeUndefined();
        });
      });
    }

    if (checkList) {
      it('openStops lists exactly the live stops', async () => {
        await withFixture(factory, async ({ placer, symbol, quantity, sellStopPrice, buyStopPrice }) => {
          expect(placer.openStops, 'openStops').toBeTypeOf('function');
          expect(await placer.openStops!(callOptions())).toEqual([]);
          const placed: StopOrder[] = [];
          for (const [side, stopPrice] of [
            ['sell', sellStopPrice],
            ['buy', buyStopPrice],
            ['sell', sellStopPrice],
          ] as const) {
            placed.push(
              await placer.placeStop({ symbol, side, quantity, stopPrice, clientOrderId: nextClientOrderId() }, callOptions()),
            );
          }
          await placer.cancelStop(placed[1]!, callOptions());
          const live = await placer.openStops!(callOptions());
          expect(live.map((order) => order.clientOrderId).sort()).toEqual(
            [placed[0]!.clientOrderId, placed[2]!.clientOrderId].sort(),
          );
          expect(live.map((order) => order.id).sort()).toEqual([placed[0]!.id, placed[2]!.id].sort());
          for (const order of live) expectOpen(order);
        });
      });
    }

    if (capabilities.amend === true) {
      it('amendStop moves the stop in place: same order, new stop price', async () => {
        await withFixture(factory, async ({ placer, symbol, quantity, sellStopPrice, movedSellStopPrice }) => {
          expect(placer.amendStop, 'amendStop').toBeTypeOf('function');
          const clientOrderId = nextClientOrderId();
          const placed = await placer.placeStop(
            { symbol, side: 'sell', quantity, stopPrice: sellStopPrice, clientOrderId },
            callOptions(),
          );
          const moved = await placer.amendStop!(placed, movedSellStopPrice, callOptions());
          expect(moved).toMatchObject({ id: placed.id, clientOrderId, symbol, side: 'sell' });
          expect(moved.stopPrice).toBeCloseTo(movedSellStopPrice, 9);
          if (checkFind && placer.findStop) {
            const found = await placer.findStop({ symbol, clientOrderId }, callOptions());
            expect(found?.stopPrice).toBeCloseTo(movedSellStopPrice, 9);
          }
          if (checkList && placer.openStops) {
            const live = await placer.openStops(callOptions());
            expect(live.map((order) => order.id)).toEqual([placed.id]);
          }
        });
      });
    } else if (capabilities.amend === false) {
      it('amendStop is absent, so moves are make-before-break', async () => {
        await withFixture(factory, async ({ placer }) => {
          expect(placer.amendStop).toBeUndefined();
        });
      });
    }
  });
}
