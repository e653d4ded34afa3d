import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { PaperExchange } from '../../src/placers/paper.js';
import { replayCandles } from '../../src/policy/replay.js';
import { fixedStopActivationPrice, isFixedStop } from '../../src/policy/resolve-parameters.js';
import { findRecordProblem } from '../../src/recovery/record-validation.js';
import { TrailingStopRegistry } from '../../src/registry/registry.js';
import { decodeEncoded, encodeRecord } from '../../src/stores/record-codec.js';
import { SqliteStateStore } from '../../src/stores/sqlite.js';
import { makeStopRecord } from '../../src/testing/records.js';
import { openPosition, resolveSpec, type TestSpec } from './helpers.js';

/** The field of the ValidationError `run` throws (fails the test when it throws nothing or something else). */
function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).field;
  }
  throw new Error('Expected a ValidationError');
}

describe('trailing: false (a fixed stop): validation', () => {
  it.each<[string, TestSpec, object?]>([
    ['trailing', { side: 'long', stopLossPercent: 2, trailing: 'no' as never }],
    ['trailing', { side: 'long', trailing: false }],
    ['trailing', { side: 'long', trailing: false, breakevenAtPercent: 2 }],
    ['callbackPercent', { side: 'long', stopLossPercent: 2, trailing: false, callbackPercent: 1 }],
    ['activationPercent', { side: 'long', stopLossPercent: 2, trailing: false, activationPercent: 0 }],
    ['activationPrice', { side: 'short', stopLossPercent: 2, trailing: false, activationPrice: 90 }],
    ['steps', { side: 'long', initialStopPrice: 95, trailing: false, steps: [{ profitPercent: 1, callbackPercent: 1 }] }],
    ['atrMultiplier', { side: 'long', stopLossPercent: 2, trailing: false, atrMultiplier: 3 }],
    ['mode', { side: 'long', stopLossPercent: 2, trailing: false, mode: 'native' }],
  ])('names %s', (field, spec) => {
    expect(fieldOf(() => resolveSpec(spec))).toBe(field);
  });

  it("ignores the registry's trailing defaults: activation, distance, and a 'native' mode (which becomes 'exchange')", () => {
    const defaults = { activationPrice: 50, callbackTicks: 3, mode: 'native' } as const;
    const { parameters } = resolveSpec({ side: 'long', stopLossPercent: 2, trailing: false }, defaults);
    expect(parameters.activationPrice).toBe(Number.MAX_VALUE);
    expect(parameters.mode).toBe('exchange');
    // Ticks without a tick size cannot resolve; a fixed stop never trails, so the library's distance stands in.
    expect(parameters.distanceKind).toBe('percent');
    expect(resolveSpec({ side: 'long', stopLossPercent: 2, trailing: false, mode: 'emulated' }, defaults).parameters.mode).toBe('emulated');
    // `trailing: true` is the default, spelled out.
    expect(resolveSpec({ side: 'long', stopLossPercent: 2, trailing: true })).toEqual(resolveSpec({ side: 'long', stopLossPercent: 2 }));
  });

  it('resolves to an activation price no price reaches: Number.MAX_VALUE for a long, Number.MIN_VALUE for a short', () => {
    const long = resolveSpec({ side: 'long', stopLossPercent: 2, trailing: false }).parameters;
    const short = resolveSpec({ side: 'short', initialStopPrice: 103, trailing: false }).parameters;
    expect(long.activationPrice).toBe(fixedStopActivationPrice('long'));
    expect(short.activationPrice).toBe(fixedStopActivationPrice('short'));
    expect(short.activationPrice).toBe(Number.MIN_VALUE);
    expect(isFixedStop('long', long)).toBe(true);
    expect(isFixedStop('short', short)).toBe(true);
    expect(isFixedStop('long', resolveSpec({ side: 'long', stopLossPercent: 2 }).parameters)).toBe(false);
  });
});

describe('trailing: false (a fixed stop): the policy', () => {
  it('a long never activates nor moves, up to the largest prices; it triggers at its stop', () => {
    const position = openPosition({ side: 'long', stopLossPercent: 2, trailing: false });
    expect(position.stop()).toBe(98);
    for (const price of [101, 150, 1e6, 1e300, 1.7e308]) expect(position.feed(price)).toBe(0);
    expect(position.state.activated).toBe(false);
    expect(position.stop()).toBe(98);
    expect(position.feed(98.01)).toBe(0);
    expect(position.feed(98)).not.toBe(0);
    expect(position.state.triggered).toBe(true);
  });

  it('a short never activates nor moves, down to the smallest prices', () => {
    const position = openPosition({ side: 'short', stopLossPercent: 2, trailing: false });
    for (const price of [99, 50, 1e-6, 1e-300]) expect(position.feed(price)).toBe(0);
    expect(position.state.activated).toBe(false);
    expect(position.stop()).toBe(102);
  });

  it('breakeven still moves it, once', () => {
    const position = openPosition({ side: 'long', stopLossPercent: 2, trailing: false, breakevenAtPercent: 1, breakevenOffsetPercent: 0.1 });
    position.feed(101);
    expect(position.stop()).toBe(100.1);
    position.feed(120);
    expect(position.stop()).toBe(100.1);
  });

  it('replays at its stop in the policy orders, as in freqtrade with trailing_stop: false', () => {
    const candles = [
      { open: 100, high: 130, low: 99, close: 128 },
      { open: 128, high: 131, low: 97, close: 98 },
    ];
    const spec = { side: 'long', stopLossPercent: 2, trailing: false } as const;
    const expected = { entryPrice: 100, exit: { index: 1, price: 98, stopPrice: 98, reason: 'stop' }, path: [98, 98] };
    expect(replayCandles(spec, candles)).toEqual(expected);
    expect(replayCandles(spec, candles, { order: 'conservative' })).toEqual(expected);
    expect(replayCandles(spec, candles, { order: 'freqtrade' })).toEqual(expected);
  });
});

describe('trailing: false (a fixed stop): stored records', () => {
  it('a record of a fixed stop survives the JSON of the SQL stores and passes record validation', () => {
    for (const side of ['long', 'short'] as const) {
      const parameters = resolveSpec({ side, stopLossPercent: 2, trailing: false }).parameters;
      const record = makeStopRecord({ side, parameters });
      const decoded = decodeEncoded(encodeRecord(record));
      expect(decoded.parameters.activationPrice).toBe(fixedStopActivationPrice(side));
      expect(decoded).toEqual(record);
      expect(findRecordProblem(decoded)).toBeUndefined();
    }
  });

  it('create() places the fixed stop, keeps it through a rally and a restart (SQLite), and triggers at it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fixed-stop-'));
    const databases: Database.Database[] = [];
    const open = () => {
      const database = new Database(join(directory, 'stops.db'));
      databases.push(database);
      return new SqliteStateStore({ database });
    };
    try {
      const exchange = new PaperExchange();
      const first = new TrailingStopRegistry({ placer: exchange, store: open(), activationPercent: 0, minUpdateIntervalMs: 0 });
      const stop = await first.create({ symbol: 'BTCUSDT', side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2, tickSize: 0.01, trailing: false });
      expect(stop.stopPrice).toBe(98);
      for (const price of [105, 120, 140]) {
        exchange.setPrice('BTCUSDT', price);
        first.updatePrice('BTCUSDT', price);
        await first.onIdle();
      }
      expect(stop.stopPrice).toBe(98);
      expect(stop.order?.stopPrice).toBe(98);
      await first.close();

      const second = new TrailingStopRegistry({ placer: exchange, store: open(), activationPercent: 0, minUpdateIntervalMs: 0 });
      await second.restore({ prices: { BTCUSDT: 140 } });
      const restored = second.get('BTCUSDT')!;
      expect(restored.activationPrice).toBe(Number.MAX_VALUE);
      second.updatePrice('BTCUSDT', 150);
      await second.onIdle();
      expect(restored.stopPrice).toBe(98);
      exchange.setPrice('BTCUSDT', 97.5);
      second.updatePrice('BTCUSDT', 97.5);
      await second.onIdle();
      expect(restored.state).toBe('triggered');
      await second.close();
    } finally {
      for (const database of databases) database.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
