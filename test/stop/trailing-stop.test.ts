/** The live read-only view shows every field of the snapshot, live. */
import { describe, expect, it } from 'vitest';
import { longSpec, makeRegistry } from '../support/fixtures.js';

describe('TrailingStop (the live view)', () => {
  it('exposes the fields of the snapshot, with the same values, and follows the stop as it moves', async () => {
    const { registry } = makeRegistry({ activationPercent: 0, callbackPercent: 1, minUpdateIntervalMs: 0, minImprovementPercent: 0 });
    const stop = await registry.create(longSpec());
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    const snapshot = stop.snapshot();
    for (const [field, value] of Object.entries(snapshot)) expect(stop[field as keyof typeof stop], field).toEqual(value);
    expect(stop.bestPrice).toBe(110);
    expect(stop.exchangeStopPrice).toBe(108.9);
    expect(stop.activated).toBe(true);
  });
});
