/**
 * Regression tests for the defects issue 10's fault campaign found: each failed before its fix.
 * Deterministic: fake timers or the manual clock decide time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStateStore, PaperExchange, TrailingStopRegistry } from '../../src/index.js';
import { longSpec, makeRegistry } from '../support/fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('reliability (issue 10)', () => {
  it('1: onIdle() and close() resolve after a placement whose answer never comes', async () => {
    vi.useFakeTimers();
    let hung = false;
    const { registry, exchange } = makeRegistry(
      { timeoutMs: 100 },
      { fault: (call) => (call.operation === 'placeStop' && !hung ? ((hung = true), 'hang') : undefined) },
    );
    const creation = registry.create(longSpec());
    await vi.advanceTimersByTimeAsync(1_000);
    const stop = await creation;
    expect(stop.order).not.toBeNull();
    expect(exchange.liveOrders()).toHaveLength(1);
    let idle = false;
    void registry.onIdle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(idle).toBe(true);
    expect(registry.stats.inFlight).toBe(0);
    let closed = false;
    void registry.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(true);
  });
});

describe('reliability (issue 10), after close', () => {
  it('5: updatePrice() after close() places and cancels nothing', async () => {
    const { registry, exchange } = makeRegistry();
    await registry.create(longSpec({ activationPercent: 0, callbackPercent: 1, minUpdateIntervalMs: 0, minImprovementPercent: 0 }));
    await registry.onIdle();
    await registry.close();
    const calls = { ...exchange.calls };
    registry.updatePrice('BTCUSDT', 120);
    registry.updatePrice('BTCUSDT', 50);
    await registry.onIdle();
    expect(exchange.calls).toEqual(calls);
  });
});
