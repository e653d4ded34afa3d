/**
 * The stop's one state machine: every transition the table allows works, every other throws, and
 * a stored state taken from another registry never revives an ended stop or de-activates one.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StopState } from '../../src/domain/position.js';
import { StopEntry, allowedTransitions, IllegalTransitionError, type VenueSync } from '../../src/stop/stop-entry.js';
import { resolveSpec } from '../policy/helpers.js';
import { createPolicyState } from '../../src/policy/policy.js';

// Deterministic in CI; `FC_SEED=<n>` explores another part of the input space.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_202) });

const states: StopState[] = ['pending', 'waiting', 'active', 'triggered', 'failed', 'closed'];

const idleSync: VenueSync = {
  running: false,
  request: () => undefined,
  cancel: () => undefined,
  idle: () => Promise.resolve(),
  placeInitial: () => Promise.resolve(null),
};

function entryIn(state: StopState, activated = false): StopEntry {
  const spec = resolveSpec({ side: 'long', stopLossPercent: 2 });
  const policy = createPolicyState(spec.side, spec.entryPrice, spec.parameters, spec.initialStopPrice);
  policy.activated = activated;
  return new StopEntry({
    key: 'K',
    symbol: 'TEST',
    side: 'long',
    positionId: 'p1',
    entryPrice: 100,
    quantity: 1,
    parameters: spec.parameters,
    policy,
    clientOrderIdBase: 'tsr-K-0123456789',
    sequence: 1,
    owner: 'me',
    createdAt: 0,
    state,
    sync: () => idleSync,
  });
}

/** Moves `entry` to `target` through the transition method that leads there. */
function moveTo(entry: StopEntry, target: StopState): void {
  if (target === 'waiting' || (target === 'active' && entry.state === 'pending')) {
    entry.activated = target === 'active';
    entry.settle();
  } else if (target === 'active') entry.activate();
  else if (target === 'triggered') entry.trigger();
  else if (target === 'failed') entry.fail();
  else if (target === 'closed') entry.close();
  else throw new IllegalTransitionError(`no method leads to ${target}`);
}

describe('StopEntry state machine', () => {
  it('allows exactly the transitions of the table, and throws on every other one', () => {
    for (const from of states) {
      for (const to of states) {
        if (from === to) continue;
        const entry = entryIn(from);
        if (allowedTransitions[from].includes(to)) {
          moveTo(entry, to);
          expect(entry.state).toBe(to);
        } else {
          expect(() => moveTo(entry, to), `${from} -> ${to}`).toThrow(IllegalTransitionError);
          expect(entry.state).toBe(from);
        }
      }
    }
  });

  it('ended states are final except for removal, and removal is idempotent', () => {
    for (const ended of ['triggered', 'failed'] as const) {
      expect(allowedTransitions[ended]).toEqual(['closed']);
      const entry = entryIn(ended);
      expect(entry.ended).toBe(true);
      expect(entry.live).toBe(false);
      entry.close();
      entry.close();
      expect(entry.state).toBe('closed');
    }
  });

  it('taking a stored state: an ended stop stays ended, a pending record changes nothing, an activated stop never waits again', () => {
    fc.assert(
      fc.property(fc.constantFrom(...states), fc.constantFrom(...states.filter((state) => state !== 'closed')), fc.boolean(), (mine, stored, activated) => {
        const entry = entryIn(mine, activated || mine === 'active');
        const wasEnded = entry.ended;
        entry.takeStoredState(stored);
        if (wasEnded || stored === 'pending') expect(entry.state).toBe(mine);
        else if (stored === 'waiting' && entry.activated) expect(entry.state).toBe('active');
        else expect(entry.state).toBe(stored);
        if (mine === 'active') expect(entry.state).not.toBe('waiting');
      }),
    );
  });

  it('a vanished order spends its client order id; the next order goes out under a fresh one', () => {
    const entry = entryIn('active', true);
    entry.placed({ id: 'o1', clientOrderId: entry.clientOrderId, symbol: 'TEST', side: 'sell', quantity: 1, stopPrice: 98, status: 'open' }, 98, 1, 5);
    const spent = entry.clientOrderId;
    expect(entry.lastSyncAt).toBe(5);
    entry.orderVanished();
    expect(entry.order).toBeNull();
    expect(entry.syncedStopPrice).toBeNaN();
    expect(entry.clientOrderId).not.toBe(spent);
  });
});
