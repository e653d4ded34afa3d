import { describe, expect, it } from 'vitest';
import { MemoryStateStore, PaperExchange, TrailingStopRegistry, silentLogger, systemClock, type TrailingStopRegistryOptions } from '../../src/index.js';
import { closestName } from '../../src/registry/options.js';

const placer = new PaperExchange();

function construct(options: Record<string, unknown>): () => TrailingStopRegistry {
  return () => new TrailingStopRegistry(options as unknown as TrailingStopRegistryOptions);
}

describe('unknown constructor options', () => {
  it('refuses a misspelt trailing parameter with a TypeError that names it and the closest known name', () => {
    expect(construct({ placer, callbakPercent: 3 })).toThrow(TypeError);
    expect(construct({ placer, callbakPercent: 3 })).toThrow(
      'Unknown option `callbakPercent` (did you mean `callbackPercent`?) for TrailingStopRegistry',
    );
  });

  it('suggests registry options too (a swapped pair of letters, a wrong case)', () => {
    expect(construct({ placer, timeuotMs: 5 })).toThrow('`timeuotMs` (did you mean `timeoutMs`?)');
    expect(construct({ placer, Concurrency: 5 })).toThrow('`Concurrency` (did you mean `concurrency`?)');
  });

  it('names every unknown option at once', () => {
    expect(construct({ placer, callbakPercent: 3, colour: 'red', leasMs: 5 })).toThrow(
      'Unknown options `callbakPercent` (did you mean `callbackPercent`?), `colour`, `leasMs` (did you mean `leaseMs`?) for TrailingStopRegistry',
    );
  });

  it('refuses an unknown option even when its value is undefined', () => {
    expect(construct({ placer, stopLossPercent: undefined })).toThrow('Unknown option `stopLossPercent`');
  });

  it('refuses unknown retry options, named with their path', () => {
    expect(construct({ placer, retry: { attempts: 2, maxDelay: 10 } })).toThrow(
      'Unknown option `retry.maxDelay` (did you mean `retry.maxDelayMs`?) for TrailingStopRegistry',
    );
  });

  it('checks names before values, so a typo is reported rather than a wrong type elsewhere', () => {
    expect(construct({ placer, concurrency: 'many', callbakPercent: 3 })).toThrow('Unknown option `callbakPercent`');
  });

  it('accepts every documented option', () => {
    const options: Required<Omit<TrailingStopRegistryOptions, 'activationPrice' | 'callbackAmount' | 'callbackTicks' | 'atr' | 'atrMultiplier' | 'steps'>> = {
      placer,
      store: new MemoryStateStore(),
      concurrency: 2,
      timeoutMs: 1000,
      owner: 'bot-1',
      leaseMs: 10_000,
      claimPollMs: 50,
      revalidateAfterMs: 500,
      onExternalCancel: 'release',
      confirmTriggerMs: 250,
      rateLimit: { requests: 50, intervalMs: 1_000 },
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 100 },
      clientOrderIdPrefix: 'bot',
      clock: systemClock,
      logger: silentLogger,
      random: () => 0.5,
      activationPercent: 1,
      callbackPercent: 1,
      breakevenAtPercent: 2,
      breakevenOffsetPercent: 0.1,
      mode: 'exchange',
      minUpdateIntervalMs: 0,
      minImprovementPercent: 0,
      emergencyImprovementPercent: 5,
      closeOnGap: false,
    };
    const registry = new TrailingStopRegistry(options);
    expect(registry.owner).toBe('bot-1');
    expect(() => new TrailingStopRegistry({ placer, callbackTicks: 5, atr: 2, atrMultiplier: 2 })).toThrow(RangeError);
    expect(() => new TrailingStopRegistry({ placer, activationPrice: 100, callbackAmount: 2 })).not.toThrow();
  });
});

describe('closestName', () => {
  const names = ['callbackPercent', 'callbackAmount', 'timeoutMs', 'leaseMs', 'owner'];

  it('finds a name one or two edits away', () => {
    expect(closestName('callbakPercent', names)).toBe('callbackPercent');
    expect(closestName('calbackAmont', names)).toBe('callbackAmount');
    expect(closestName('ownr', names)).toBe('owner');
    expect(closestName('callbackPercentage', names)).toBe('callbackPercent');
  });

  it('counts a swap of neighbouring letters as one edit', () => {
    expect(closestName('lesaeMs', names)).toBe('leaseMs');
  });

  it('matches a name that differs only in case, however long', () => {
    expect(closestName('CALLBACKPERCENT', names)).toBe('callbackPercent');
  });

  it('suggests nothing when no name is near', () => {
    expect(closestName('colour', names)).toBeUndefined();
    expect(closestName('x', names)).toBeUndefined();
    expect(closestName('stopLossPercent', names)).toBeUndefined();
  });
});
