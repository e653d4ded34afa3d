/**
 * A gateway for tests of the exchange layer on its own: every hook a no-op, an open registry,
 * short retries; a test overrides what it looks at.
 */
import { ExchangeGateway, defaultRetryOptions, type ExchangeGatewayOptions } from '../../src/exchange/gateway.js';
import type { OrderPlacer } from '../../src/ports/order-placer.js';
import { systemClock } from '../../src/ports/clock.js';

/** A gateway on `placer` with quiet hooks; `overrides` replace any option. */
export function testGateway(placer: OrderPlacer, overrides: Partial<ExchangeGatewayOptions> = {}): ExchangeGateway {
  return new ExchangeGateway({
    placer,
    concurrency: 10,
    timeoutMs: 10_000,
    retry: { ...defaultRetryOptions, baseDelayMs: 10, maxDelayMs: 10 },
    clock: systemClock,
    random: () => 0.5,
    track: () => {},
    onLateOrderCancelled: () => {},
    closed: () => false,
    finished: () => false,
    onLateOrderLeft: () => {},
    onTimeout: () => {},
    ...overrides,
  });
}
