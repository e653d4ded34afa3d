/**
 * PaperExchange: the OrderPlacer conformance suite, then what the simulator adds (latency, fault
 * injection, fills, in-flight accounting, unprotected time, declared capabilities).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PaperExchange } from '../../src/placers/paper.js';
import { describeOrderPlacer } from '../../src/testing/index.js';
import { AbortedError, ExchangeRejectedError, OrderNotFoundError, WouldTriggerError } from '../../src/errors.js';
import type { Clock } from '../../src/ports/clock.js';
import type { StopOrderRequest } from '../../src/ports/order-placer.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });
const sellStop = (clientOrderId: string, stopPrice = 95): StopOrderRequest => ({
  symbol,
  side: 'sell',
  quantity: 1,
  stopPrice,
  clientOrderId,
});

describeOrderPlacer(
  'PaperExchange',
  () => {
    const placer = new PaperExchange({ amend: true });
    placer.setPrice(symbol, 100);
    return { placer, symbol, quantity: 1, sellStopPrice: 95, buyStopPrice: 105, movedSellStopPrice: 97.5 };
  },
  { amend: true },
);

/** A clock the test moves by hand. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    advance: (ms) => {
      now += ms;
    },
  };
}

/** Settles-or-not probe: true once `promise` settled. */
function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
}

describe('PaperExchange latency', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('executes on arrival and answers after latencyMs (fake timers)', async () => {
    vi.useFakeTimers();
    const paper = new PaperExchange({ latencyMs: 500 });
    const placing = paper.placeStop(sellStop('lat-1'), call());
    const isSettled = settled(placing);
    expect(paper.liveOrders()).toHaveLength(1); // the venue has it before the caller hears back
    await vi.advanceTimersByTimeAsync(499);
    expect(isSettled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(isSettled()).toBe(true);
    await expect(placing).resolves.toMatchObject({ clientOrderId: 'lat-1' });
  });

  it('takes a latency per call', async () => {
    vi.useFakeTimers();
    const paper = new PaperExchange({ latencyMs: (request) => request.sequence * 100 });
    const first = settled(paper.placeStop(sellStop('seq-1'), call()));
    const second = settled(paper.placeStop(sellStop('seq-2'), call()));
    await vi.advanceTimersByTimeAsync(100);
    expect([first(), second()]).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(100);
    expect(second()).toBe(true);
  });

  it('counts calls in flight and the most at once', async () => {
    vi.useFakeTimers();
    const paper = new PaperExchange({ latencyMs: 10 });
    const calls = [1, 2, 3, 4, 5].map((index) => paper.placeStop(sellStop(`flight-${index}`), call()));
    expect(paper.inFlight).toBe(5);
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all(calls);
    expect(paper.inFlight).toBe(0);
    expect(paper.maxInFlight).toBe(5);
    expect(paper.calls.placeStop).toBe(5);
  });
});

describe('PaperExchange fault injection', () => {
  it('an injected error rejects the call and has no effect', async () => {
    const refusal = new ExchangeRejectedError('scripted refusal');
    const paper = new PaperExchange({ fault: (request) => (request.operation === 'placeStop' ? refusal : undefined) });
    await expect(paper.placeStop(sellStop('f-1'), call())).rejects.toBe(refusal);
    expect(paper.allOrders()).toEqual([]);
  });

  it("'lose-answer' executes but never answers; an honoured abort releases the caller", async () => {
    const paper = new PaperExchange({ honorAbort: true, fault: (request) => (request.operation === 'placeStop' ? 'lose-answer' : undefined) });
    const controller = new AbortController();
    const placing = paper.placeStop(sellStop('lost-1'), { signal: controller.signal });
    await Promise.resolve();
    expect(paper.liveOrders()).toHaveLength(1);
    controller.abort();
    await expect(placing).rejects.toBeInstanceOf(AbortedError);
    await expect(paper.findStop!({ symbol, clientOrderId: 'lost-1' }, call())).resolves.toMatchObject({ status: 'open' });
  });

  it("'hang' neither answers nor executes", async () => {
    const paper = new PaperExchange({ honorAbort: true, fault: () => 'hang' });
    const controller = new AbortController();
    const placing = paper.placeStop(sellStop('hang-1'), { signal: controller.signal });
    controller.abort();
    await expect(placing).rejects.toBeInstanceOf(AbortedError);
    expect(paper.allOrders()).toEqual([]);
  });

  it('with honorAbort, an already aborted signal has no effect', async () => {
    const paper = new PaperExchange({ honorAbort: true });
    const controller = new AbortController();
    controller.abort();
    await expect(paper.placeStop(sellStop('ab-1'), { signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    expect(paper.allOrders()).toEqual([]);
  });
});

describe('PaperExchange market', () => {
  it('refuses a stop the last price already crossed with WouldTriggerError', async () => {
    const paper = new PaperExchange({ amend: true });
    paper.setPrice(symbol, 100);
    await expect(paper.placeStop(sellStop('wt-1', 100), call())).rejects.toBeInstanceOf(WouldTriggerError);
    await expect(
      paper.placeStop({ symbol, side: 'buy', quantity: 1, stopPrice: 99, clientOrderId: 'wt-2' }, call()),
    ).rejects.toBeInstanceOf(WouldTriggerError);
    const order = await paper.placeStop(sellStop('wt-3'), call());
    await expect(paper.amendStop!(order, 101, call())).rejects.toBeInstanceOf(WouldTriggerError);
    expect(paper.liveOrders()).toEqual([order]);
  });

  it('setPrice fills the stops it crosses and reports them', async () => {
    const paper = new PaperExchange();
    paper.setPrice(symbol, 100);
    const order = await paper.placeStop(sellStop('fill-1'), call());
    expect(paper.setPrice(symbol, 96)).toEqual([]);
    expect(paper.setPrice(symbol, 95)).toEqual([{ ...order, status: 'filled' }]);
    expect(paper.liveOrders()).toEqual([]);
    await expect(paper.findStop!({ symbol, clientOrderId: 'fill-1' }, call())).resolves.toMatchObject({ status: 'filled' });
    expect(paper.amendStop).toBeUndefined();
  });

  it('a client order id already used by a finished order is refused', async () => {
    const paper = new PaperExchange();
    const order = await paper.placeStop(sellStop('used-1'), call());
    await paper.cancelStop(order, call());
    await expect(paper.placeStop(sellStop('used-1'), call())).rejects.toBeInstanceOf(ExchangeRejectedError);
  });

  it('amending a gone order rejects with OrderNotFoundError', async () => {
    const paper = new PaperExchange({ amend: true });
    const order = await paper.placeStop(sellStop('gone-1'), call());
    expect(paper.cancelByHand(order.id)).toBe(true);
    expect(paper.cancelByHand(order.id)).toBe(false);
    await expect(paper.amendStop!(order, 96, call())).rejects.toBeInstanceOf(OrderNotFoundError);
  });

  it('closePosition is idempotent by client order id and voids the open stops of that side', async () => {
    const paper = new PaperExchange();
    await paper.placeStop(sellStop('cp-1'), call());
    const close = { symbol, side: 'sell' as const, quantity: 1, clientOrderId: 'close-1' };
    await paper.closePosition(close, call());
    await paper.closePosition(close, call());
    expect(paper.closes).toEqual([close]);
    expect(paper.liveOrders()).toEqual([]);
  });
});

describe('PaperExchange unprotected time', () => {
  it('measures the gaps without any open stop on a symbol, from its first stop on', async () => {
    const clock = manualClock();
    const paper = new PaperExchange({ clock });
    const first = await paper.placeStop(sellStop('gap-1'), call());
    clock.advance(100);
    await paper.cancelStop(first, call()); // cancel-then-place: the gap opens
    clock.advance(250);
    expect(paper.unprotectedMs(symbol)).toBe(250);
    await paper.placeStop(sellStop('gap-2'), call());
    clock.advance(1_000);
    expect(paper.unprotectedMs(symbol)).toBe(250);
    paper.resetUnprotected(symbol);
    expect(paper.unprotectedMs(symbol)).toBe(0);
  });

  it('make-before-break leaves no gap', async () => {
    const clock = manualClock();
    const paper = new PaperExchange({ clock });
    const first = await paper.placeStop(sellStop('mbb-1'), call());
    clock.advance(100);
    await paper.placeStop(sellStop('mbb-2', 96), call());
    await paper.cancelStop(first, call());
    clock.advance(100);
    expect(paper.unprotectedMs(symbol)).toBe(0);
  });
});

describe('PaperExchange capabilities', () => {
  it('declares cancel-then-place only when asked', () => {
    expect(new PaperExchange().capabilities.cancelBeforePlace).toBeUndefined();
    expect(new PaperExchange({ cancelBeforePlace: true }).capabilities.cancelBeforePlace).toBe(true);
  });

  it('provides amendStop, findStop and placeTrailingStop as configured', () => {
    const plain = new PaperExchange({ find: false });
    expect(plain.amendStop).toBeUndefined();
    expect(plain.findStop).toBeUndefined();
    expect(plain.placeTrailingStop).toBeUndefined();
    expect(plain.capabilities.clientOrderIdMaxLength).toBe(36);
    const full = new PaperExchange({ amend: true, nativeTrailing: { min: 0.1, max: 5 } });
    expect(full.amendStop).toBeTypeOf('function');
    expect(full.findStop).toBeTypeOf('function');
    expect(full.placeTrailingStop).toBeTypeOf('function');
    expect(full.capabilities.trailingCallbackPercent).toEqual({ min: 0.1, max: 5 });
  });

  it('native trailing refuses callbacks outside its limits and trails once activated', async () => {
    const paper = new PaperExchange({ nativeTrailing: { min: 0.1, max: 5 } });
    paper.setPrice(symbol, 100);
    const request = { symbol, side: 'sell' as const, quantity: 1, callbackPercent: 1, activationPrice: 105, clientOrderId: 'tr-1' };
    await expect(paper.placeTrailingStop!({ ...request, callbackPercent: 6, clientOrderId: 'tr-0' }, call())).rejects.toBeInstanceOf(
      ExchangeRejectedError,
    );
    await paper.placeTrailingStop!(request, call());
    expect(paper.setPrice(symbol, 104)).toEqual([]); // not activated yet
    expect(paper.setPrice(symbol, 110)).toEqual([]);
    expect(paper.liveOrders()[0]!.stopPrice).toBeCloseTo(108.9, 9);
    expect(paper.setPrice(symbol, 108)).toHaveLength(1);
  });
});
