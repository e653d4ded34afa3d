/**
 * Counterexamples of the fault campaign, each written out as its shrunk command list and replayed
 * under a deterministic scheduler (test/support/campaign-scheduler.ts). One test per defect: the
 * issue-10 defects by number, the campaign's own finds as N1, N2... While a defect is open its test
 * is `it.fails` through {@link stillBroken}, which throws only when the recorded invariant breaks
 * the recorded way: once the fix lands the test turns red, and becomes a plain `it` that replays
 * the same commands and must pass.
 */
import { describe, expect, it } from 'vitest';
import type { CampaignInput, CommandData } from '../support/campaign-commands.js';
import type { CampaignSetup, SlotFaults } from '../support/campaign-world.js';
import type { PlacerFault, PlacerFaultRule, StoreFault, StoreFaultRule } from '../../src/testing/index.js';
import type { ReplayPolicy } from '../support/campaign-scheduler.js';
import { replay, replayOrdering, unhandledRejectionsOf } from '../support/campaign-run.js';
import { excuseAllBut, openDefectExcuse, type Excuse } from '../support/campaign-open-defects.js';
import { realRegistry } from '../support/campaign-world.js';

const quiet: SlotFaults = { placer: [], store: [] };

/** Two registries on a memory store with its change feed and a venue that streams order updates; time passes when idle. */
function world(overrides: Partial<CampaignSetup> = {}): CampaignSetup {
  return { store: 'memory', amend: false, stream: true, watch: true, time: 'idle', slots: [quiet, quiet], ...overrides };
}

function input(setup: CampaignSetup, commands: readonly CommandData[]): CampaignInput {
  return { ...setup, commands };
}

/** Rethrows the replay's failure only when it is the recorded one (`it.fails` then passes). */
async function stillBroken(run: CampaignInput, pattern: RegExp, policy: ReplayPolicy = 'fifo', defect?: string): Promise<void> {
  // With `defect`, the other open defects the run meets on the way are excused.
  const failure = await replay(run, policy, realRegistry, defect === undefined ? undefined : excuseAllBut(defect)).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  if (failure !== undefined && pattern.test(failure.message)) throw failure;
  // Fixed, or failing another way: this `it.fails` turns red so someone looks.
  if (failure !== undefined) console.error(`replay fails another way than recorded (${String(pattern)}):\n${failure.message}`);
}

/**
 * A defect's replay once its fix landed: the same commands must now pass every check. `brokeAs`
 * records how it failed before the fix.
 */
async function nowFixed(run: CampaignInput, brokeAs: RegExp, policy: ReplayPolicy = 'fifo', excuse?: Excuse): Promise<void> {
  void brokeAs;
  await replay(run, policy, realRegistry, excuse);
}

const settle: CommandData = { op: 'settle' };
const longBtc = (stopLossPercent: number | null = 2, positionId: 'p1' | 'p2' | null = null) =>
  ({ key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent, positionId } }) as const;

/** Slot faults: the `call`-th call of `operation` on the venue gets `fault`. */
function placerFault(operation: PlacerFaultRule['operation'], call: number, fault: PlacerFault): SlotFaults {
  return { placer: [{ operation, call, fault }], store: [] };
}

/** Slot faults: the `call`-th call of `operation` on the store gets `fault`. */
function storeFault(operation: StoreFaultRule['operation'], call: number, fault: StoreFault): SlotFaults {
  return { placer: [], store: [{ operation, call, fault }] };
}

/** The price moves 3 %: a long stop at 98 activates (101) and moves to 101.97. */
const rally: CommandData = { op: 'price', key: 'BTC', percent: 3, stale: false };

/** The process dies right after the new half of a make-before-break move reached the venue. */
const crashMidMove = input(world({ stream: false }), [
  { op: 'create', slot: 0, item: longBtc() },
  settle,
  { op: 'crash', slot: 0, afterCalls: 1, when: 'after' },
  rally,
  settle,
]);

/**
 * The eight defects issue 10 lists, as campaign replays. Each failed on 5faa5b6 (before the fixes)
 * with the invariant named in its comment, and passes since the fix.
 */
describe('fault campaign replays: the defects of issue 10', () => {
  // [idle] onIdle() did not resolve: stuck ... registries: bot-0#1 inFlight=1
  it('1: onIdle() resolves after a placement whose answer never comes', async () => {
    const hang = placerFault('placeStop', 1, { kind: 'hang', executed: true, release: 'never' });
    await replay(input(world({ slots: [hang, quiet] }), [{ op: 'create', slot: 0, item: longBtc() }, settle]));
  });

  // [I6] bot-0#1 create resolved with a waiting stop ... but the store has no record
  it('2: after another registry removed the key, create() does not resolve with the stale stop', async () => {
    await replay(
      input(world(), [
        { op: 'create', slot: 0, item: longBtc() },
        settle,
        { op: 'remove', slot: 1, key: 'BTC' },
        settle,
        { op: 'create', slot: 0, item: longBtc() },
        settle,
      ]),
    );
  });

  // [I2] BTC: live order(s) paper-2 ... that no record holds (after the heal's restore and reconciles).
  // The fix keeps the looser order: see N1 below (excused here).
  it('3: a crash in the middle of a make-before-break move leaves one live order after restore and reconcile', async () => {
    await replay(crashMidMove, 'fifo', realRegistry, /^\[I5 venue\]/);
  });

  // [I2] BTC: live order(s) paper-1 ... that no record holds
  it("4: a failed double-check write, then remove(): the creation's order is cancelled", async () => {
    const failedWrite = storeFault('compareAndSet', 1, { kind: 'reject', executed: false });
    await replay(
      input(world({ slots: [failedWrite, quiet] }), [
        { op: 'create', slot: 0, item: longBtc() },
        { op: 'remove', slot: 0, key: 'BTC' },
        settle,
      ]),
    );
  });

  // [close] bot-0#1 made port calls after close() resolved: placer.placeStop, placer.cancelStop
  it('5: updatePrice() after close() places and cancels nothing', async () => {
    await replay(input(world(), [{ op: 'create', slot: 0, item: longBtc() }, settle, { op: 'close', slot: 0 }, settle, rally, settle]));
  });

  // [I4] bot-0#1 wrote BTC last but holds active v2 (order paper-2 ...); the store has waiting v2 ... order paper-1
  it('6: a store write that failed after a move is retried until memory and store agree', async () => {
    const failedWrite = storeFault('compareAndSet', 2, { kind: 'reject', executed: false });
    await replay(input(world({ slots: [failedWrite, quiet] }), [{ op: 'create', slot: 0, item: longBtc() }, settle, rally, settle]));
  });

  // [I2] BTC: live order(s) paper-1 ... that no record holds (the failed stop's order, left by the claim)
  it("7: claiming another registry's failed record cancels its resting order", async () => {
    const failedMove = placerFault('placeStop', 2, { kind: 'reject' });
    await replay(
      input(world({ slots: [failedMove, quiet] }), [
        { op: 'create', slot: 0, item: longBtc() },
        settle,
        rally,
        settle,
        { op: 'create', slot: 1, item: longBtc() },
        settle,
      ]),
    );
  });

  // [I4] bot-1#1 holds BTC at a version ahead of the store
  it('8: re-creating a failed position under the same positionId does not restart its version', async () => {
    const failedMove = placerFault('placeStop', 2, { kind: 'reject' });
    await replay(
      input(world({ slots: [failedMove, quiet] }), [
        { op: 'create', slot: 0, item: longBtc(2, 'p1') },
        settle,
        { op: 'restore', slot: 1 },
        settle,
        rally,
        settle,
        { op: 'create', slot: 0, item: longBtc(2, 'p1') },
        settle,
      ]),
    );
  });

  it('a clean run passes', async () => {
    await expect(replay(input(world(), [{ op: 'create', slot: 0, item: longBtc() }, settle]))).resolves.toBeUndefined();
  });
});

/**
 * Defects the campaign found beyond the eight, numbered N1, N2... in the order found. Each is
 * `it.fails` until its fix lands (the comment says what breaks and why).
 */
describe('fault campaign replays: defects the campaign found', () => {
  // After the crash the store names the old order (98) and the venue holds it and the move's new
  // one (101.97). Restore and reconcile keep the record's order and cancel the newer, tighter one:
  // the position's stop on the venue goes from 101.97 back to 98 (I5), and the peak the crashed
  // process saw is forgotten. Adopting the newer order of the same position (it is the move in
  // flight) and cancelling the old would keep the stop.
  it('N1 (fixed in ab9a6ee): restore after a crash mid-move does not loosen the stop on the venue', async () => {
    await nowFixed(crashMidMove, /^\[I5 venue\] after cancelStop of tsr-BTC-\w+-2 the position's tightest live stop is 98, looser than the 101.97/);
  });

  // Two creations for the key on one registry, the second for another position (it waits for the
  // first flight, then replaces its stop), and close() at once: the work tracker counts the second
  // creation only once it starts, so close() resolves in between; the creation then runs on the
  // closed registry, retires the first stop (load, delete: its order, when it has one, is
  // cancelled) and only then meets ERR_CLOSED in its claim. A closed bot removed a stop.
  it('N2 (fixed in ab9a6ee): a creation queued behind another position on the key does not run after close()', async () => {
    await nowFixed(
      input(world(), [
        { op: 'create', slot: 0, item: longBtc(2) },
        { op: 'create', slot: 0, item: longBtc(2, 'p1') },
        { op: 'close', slot: 0 },
        settle,
      ]),
      /^\[close\] bot-0#1 made port calls after close\(\) resolved/,
    );
  });

  // bot-0 creates ETH; bot-1 creates ETH twice at once: one joins bot-0's stop (adopted), the other
  // names position p1, so it retires the adopted stop first: it cancels the stop's order, then its
  // store load fails (injected). retire() keeps the stop live in memory (so the caller may retry)
  // and the record stays 'waiting' with an order the venue has cancelled: the position has no stop
  // and nothing re-places it (I2). The cancel should come after the store steps, or the failed
  // retirement should owe the order back.
  it("N3 (fixed in ab9a6ee): a failed retirement of another position's stop does not leave it live without its order", async () => {
    const failedLoad = storeFault('load', 2, { kind: 'reject', executed: false });
    await nowFixed(
      input(world({ stream: false, slots: [quiet, failedLoad] }), [
        { op: 'create', slot: 0, item: { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: 1, positionId: null } } },
        {
          op: 'createMany',
          slot: 1,
          items: [
            { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: null, positionId: null } },
            { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: null, positionId: 'p1' } },
          ],
        },
        settle,
      ]),
      /^\[I2\] ETH: the record's order is cancelled on the venue, the position has no stop/,
    );
  });

  // bot-0 reconciles BTC from the records it listed (v2, its position). Meanwhile bot-1 creates
  // BTC for position p2: it cancels bot-0's order, deletes the record and writes p2 at v1, then v2.
  // bot-0's pass finds its order cancelled, places it again (replace) and writes its record with a
  // compare-and-set expecting v2, which p2's record now has: the write succeeds and p2's record is
  // gone, while bot-1 holds p2 as waiting (I6, I4). The compare-and-set compares versions only, and
  // versions restart with each new record of a key (see issue 10 defect 8).
  // Fixed by 160d8b7 (versions of a key go on past a cleared record).
  it('N4: a reconcile acting on a record it listed before another registry replaced the position does not overwrite the new position', async () => {
    await replay(
      input(world({ stream: false }), [
        { op: 'createMany', slot: 0, items: [longBtc(2)] },
        settle,
        { op: 'price', key: 'BTC', percent: -1.4, stale: true },
        { op: 'reconcile', slot: 0 },
        { op: 'create', slot: 1, item: longBtc(null, 'p2') },
        { op: 'price', key: 'ETH', percent: -2.2, stale: false },
        settle,
      ]),
      'lifo',
    );
  });

  // bot-0 holds a long of 1 for BTC; bot-1 asks for a short of 2 and resolves with bot-0's long
  // (adopted from the store, or joined while bot-0's claim is in flight): the short is unprotected
  // and the caller holds a stop that says so only by its fields. Since f758d5f a registry refuses
  // or replaces its own live stop when the spec contradicts it; adoption and joining do not check.
  it("N5 (fixed): create() does not resolve with another registry's stop that contradicts its spec", async () => {
    const short2 = { key: 'BTC', spec: { side: 'short', quantity: 2, stopLossPercent: 2, positionId: null } } as const;
    await nowFixed(
      input(world(), [{ op: 'create', slot: 0, item: longBtc() }, settle, { op: 'create', slot: 1, item: short2 }, settle]),
      /^\[create\] bot-1#1 .* asked for short 2 at 100 and resolved with a waiting stop of side long, quantity 1/,
    );
  });

  it('N5b (fixed): a creation does not join one in flight whose spec it contradicts', async () => {
    const long2 = { key: 'BTC', spec: { side: 'long', quantity: 2, stopLossPercent: null, positionId: null } } as const;
    await nowFixed(
      input(world(), [{ op: 'create', slot: 0, item: longBtc(null) }, { op: 'create', slot: 0, item: long2 }, settle]),
      /^\[create\] bot-0#1 .* asked for long 2 at 100 and resolved with a waiting stop of quantity 1/,
    );
  });

  // A restart whose restore() meets a failing store.list() rejects with the StoreError, and no
  // `error` event reports it (I6: a bot that logs events only never learns its restore failed).
  // reconcile() behaves the same when list() or the venue's openStops() fails.
  it('N6 (fixed): restore() and reconcile() that reject emit an `error` event', async () => {
    const failedList = storeFault('list', 1, { kind: 'reject', executed: false });
    await nowFixed(
      input(world({ slots: [quiet, failedList] }), [{ op: 'restart', slot: 1 }, settle]),
      /^\[I6\] bot-1#2 .* rejected with ERR_STORE_FAILED .* but no `error` event reported it/,
    );
  });

  // bot-0 holds BTC waiting for activation (no order yet) and dies right after the activation's
  // first order reached the venue (sequence 1, before the record named it). After the restart,
  // restore() and two reconcile() passes leave that order alone: the record names no order, and
  // the orphan sweep takes an id at or past the record's sequence for a move in flight. The venue
  // holds a stop the registry does not know (I2) until a tick happens to re-place the same id.
  it("N7 (fixed): after a crash right after the activation's first order, reconcile accounts for that order", async () => {
    await nowFixed(
      input(world(), [
        { op: 'create', slot: 0, item: longBtc(null) },
        settle,
        { op: 'crash', slot: 0, afterCalls: 1, when: 'after' },
        { op: 'price', key: 'BTC', percent: 1, stale: false },
      ]),
      /^\[I2\] BTC \(after the heal\): live order\(s\) paper-1 \(tsr-BTC-\w+-1\) at 99.99 that no record holds; the store has waiting v2 of bot-0/,
    );
  });

  // The simplest case of N4's root: bot-0 holds a short waiting for activation (record v2); bot-1
  // creates a long for position p1 on the key, deleting bot-0's record and writing its own v1, v2.
  // A tick activates bot-0's stale short: it places its order and writes v3 expecting v2, which
  // p1's record has, so the write lands. p1's record is gone and its order is an orphan (I2).
  // Fixed by 160d8b7 (versions of a key go on past a cleared record).
  it("N4b: a stale registry's first write after another position replaced its record does not land on the new record", async () => {
    const short = { key: 'ETH', spec: { side: 'short', quantity: 1, stopLossPercent: null, positionId: null } } as const;
    const longP1 = { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: 2, positionId: 'p1' } } as const;
    await replay(
      input(world({ time: 'race' }), [
        { op: 'create', slot: 0, item: short },
        settle,
        { op: 'create', slot: 1, item: longP1 },
        settle,
        { op: 'price', key: 'ETH', percent: -1, stale: true },
        settle,
      ]),
    );
  });

  // bot-0 creates BTC, then position p1 for the key: the p1 claim's insert commits but its answer
  // is lost (StoreError). The creation rejects (reported), and the claim stays pending with no
  // order at quiescence: other registries wait for its lease (ERR_CLAIM_BUSY) and nothing cleans it
  // up until a reconcile. The failed write's cleanup is owed like any other.
  it('N8 (fixed in ab9a6ee): a claim whose insert committed but answered an error does not stay pending', async () => {
    const lostInsert = storeFault('insert', 2, { kind: 'reject', executed: true });
    await nowFixed(
      input(world({ slots: [lostInsert, quiet] }), [
        { op: 'create', slot: 0, item: longBtc(null) },
        { op: 'create', slot: 0, item: longBtc(null, 'p1') },
        settle,
      ]),
      /^\[I2\] BTC: claim left pending at quiescence: pending v1 of bot-0 \(BTC-long-p1/,
    );
  });

  // The same root as N3 through remove(): bot-2 creates BTC and removes it at once; the removal
  // cancels the order, then its delete fails (injected). remove() rejects (reported) and keeps the
  // stop, but the record stays 'waiting' with the cancelled order (I2); a later restore() would
  // place it again for a position the bot meant to close.
  it('N3b (fixed in ab9a6ee): a removal whose store delete fails does not leave a live record without its order', async () => {
    const failedFourthCall = storeFault('*', 4, { kind: 'reject', executed: false });
    await nowFixed(
      input(world({ slots: [quiet, quiet, failedFourthCall] }), [
        { op: 'create', slot: 2, item: longBtc() },
        { op: 'remove', slot: 2, key: 'BTC' },
        settle,
      ]),
      /^\[I2\] BTC: the record's order is cancelled on the venue, the position has no stop: waiting v2 of bot-2/,
    );
  });

  // The venue accepts the creation's order and cancels it at once (a lost order), and its order
  // stream reports the cancel before the placement's answer arrives. The registry, not knowing the
  // order yet, drops the update; then it records the order as live. With a stream it must notice
  // (onExternalCancel: 'replace'); at quiescence the record names a cancelled order (I2).
  // Fixed: the creation protocol was never handed the hook that applies updates held for a stop
  // being created (only the endings had it), so a held cancel was never applied.
  it('N9 (fixed): a cancel reported by the order stream before the placement answered is not lost', async () => {
    const lostAtOnce = placerFault('placeStop', 1, { kind: 'lose-order' });
    await nowFixed(
      input(world({ slots: [lostAtOnce, quiet] }), [{ op: 'create', slot: 0, item: longBtc() }, settle]),
      /^\[I2\] BTC: the record's order is cancelled on the venue, the position has no stop: waiting v2 of bot-0/,
    );
  });

  // bot-0's BTC stop (98) fills as the price falls to 98, while bot-1 creates BTC: bot-1 adopts
  // the record (still waiting) and resolves with it; the ended stop's record is then deleted, and
  // bot-1 still holds the stop as waiting with the filled order (I6: the caller believes the new
  // position protected). Also reported: the stop's entry price is not the spec's (N5).
  // Fixed by 160d8b7 (the stop is dropped once its record is gone); the contradiction of N5 stays excused here.
  it('N10: create() resolving with an adopted stop whose order fills meanwhile does not keep it waiting', async () => {
    await replay(
      input(world(), [
        { op: 'create', slot: 0, item: longBtc() },
        settle,
        { op: 'price', key: 'BTC', percent: -2, stale: true },
        { op: 'create', slot: 1, item: longBtc() },
        { op: 'price', key: 'BTC', percent: 0, stale: true },
      ]),
      'fifo',
      realRegistry,
      /^\[create\] /,
    );
  });

  // bot-0 creates BTC and ETH and reconciles at once; BTC's double-check write fails (injected) and
  // is owed. The reconcile pass then takes over bot-0's own pending BTC claim as if abandoned,
  // adopts the order and publishes a second entry for the key; the owed write of the first entry
  // lands later (v4). The registry holds v3 while it wrote v4 (I4, and I1: two entries, one key).
  it("N11 (fixed in ab9a6ee): reconcile() does not take over the registry's own claim while the creation's write is owed", async () => {
    const failedFourthCall = storeFault('*', 4, { kind: 'reject', executed: false });
    await nowFixed(
      input(world({ slots: [failedFourthCall, quiet] }), [
        {
          op: 'createMany',
          slot: 0,
          items: [longBtc(), { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: 2, positionId: null } }],
        },
        { op: 'reconcile', slot: 0 },
        settle,
      ]),
      /^\[I4\] bot-0#1 wrote BTC last but holds waiting v3 .*; the store has waiting v4 of bot-0/,
    );
  });

  // N4's root, still open on the retirement path, with one registry: bot-0 reconciles while it
  // creates p2 for BTC. The creation retires bot-0's own stop (cancel, delete v2) and claims BTC
  // again at v1, then v2. The reconcile pass, acting on the record it listed (the old position,
  // v2), finds that order cancelled, places it again and writes v3 expecting v2: the write lands on
  // p2's record. p2's order rests with no record (I2) and the new position's create resolved with a
  // stop the store no longer has (I6). Versions of a key should go on past a deleted record.
  it("N4c (fixed in 8d2ea9a): after a retirement deletes a key's record, a stale writer does not land on the new position", async () => {
    await nowFixed(
      input(world(), [
        { op: 'create', slot: 1, item: { key: 'ETH', spec: { side: 'long', quantity: 2, stopLossPercent: 1, positionId: null } } },
        { op: 'create', slot: 0, item: longBtc(5) },
        settle,
        { op: 'reconcile', slot: 0 },
        { op: 'create', slot: 0, item: { key: 'BTC', spec: { side: 'long', quantity: 2, stopLossPercent: 1, positionId: 'p2' } } },
      ]),
      /^\[I2\] BTC: live order\(s\) paper-3 \(tsr-BTC-\w+-1\) at 99 that no record holds, another position's; the store has waiting v3 of bot-0/,
      { seed: 38 },
    );
  });

  // bot-2's creation commits its double-check write, but the answer is an error: the write is owed
  // and retried in the background. close() resolves before the retry runs; the retry then writes
  // to the store from a closed registry ([close]: no port call after close() resolved). close()
  // should wait for owed work (bounded) or stop it.
  it('N12 (fixed): owed cleanup makes no call after close() resolved', async () => {
    const lostAnswer = storeFault('compareAndSet', 1, { kind: 'reject', executed: true });
    await nowFixed(
      input(world({ time: 'race', slots: [quiet, quiet, lostAnswer] }), [
        { op: 'createMany', slot: 2, items: [longBtc(null)] },
        { op: 'close', slot: 2 },
        {
          op: 'createMany',
          slot: 0,
          items: [longBtc(null), longBtc(null, 'p1'), { key: 'BTC', invalid: 'nan-entry' }],
        },
      ]),
      /^\[close\] bot-2#1 made port calls after close\(\) resolved: store\.compareAndSet/,
      { seed: 2 },
    );
  });

  // bot-0 holds BTC waiting for activation; a tick activates it while resize(BTC, 4) is called: the
  // first order goes out for 1, the record says 4, and bot-0 dies right after writing it. After the
  // restart, restore() and reconcile() see the record (4) and its order (x 1), report a mismatch
  // and leave it: the position is protected for 1 of 4 until a price moves (I2). The record's own
  // pending re-placement should be finished, as the crashed process would have.
  it('N13 (fixed in 8d2ea9a): restore and reconcile finish a resize the crashed process did not', async () => {
    const slowLoad = storeFault('load', 1, { kind: 'delay', ms: 10, phase: 'request' });
    await nowFixed(
      input(world({ slots: [slowLoad, quiet] }), [
        { op: 'create', slot: 0, item: longBtc(null, 'p1') },
        settle,
        { op: 'crash', slot: 0, afterCalls: 2, when: 'after' },
        { op: 'price', key: 'BTC', percent: 1, stale: true },
        { op: 'resize', slot: 0, key: 'BTC', quantity: 4 },
        settle,
      ]),
      /^\[I2\] BTC \(after the heal\): the venue did not converge to the stop: active v3 of bot-0 \(BTC-long-p1, long 4, stop 99.99, order paper-1 \S+ at 99.99 x 1\)/,
    );
  });

  // bot-1 restarts while bot-0 moves ETH (its order seq 2 replaces seq 1). bot-1's restore lists
  // the record at seq 1, finds that order cancelled (bot-0's old half) and re-places the stop
  // (seq 3); its write conflicts, merges, and keeps both orders: bot-0's seq 2 stays live with no
  // record (I2). The reconcile should re-read the record before taking an order for vanished.
  // Fixed: the move's write reached bot-1 through the change feed while its look-up of the old
  // order was out; a reconcile now acts on a look-up only while the stop still has that order.
  it("N14 (fixed): a reconcile does not re-place a stop another registry just moved, nor orphan the other's order", async () => {
    const failedLookup = placerFault('findStop', 1, { kind: 'unavailable', executed: false });
    const failedWrite = storeFault('compareAndSet', 1, { kind: 'reject', executed: false });
    await nowFixed(
      input(world({ slots: [failedLookup, failedWrite] }), [
        { op: 'createMany', slot: 0, items: [{ key: 'BTC', spec: { side: 'short', quantity: 2, stopLossPercent: 2, positionId: null } }] },
        { op: 'create', slot: 0, item: { key: 'ETH', spec: { side: 'long', quantity: 3, stopLossPercent: 2, positionId: null } } },
        settle,
        { op: 'restart', slot: 1 },
        { op: 'price', key: 'ETH', percent: 1.6, stale: true },
        { op: 'create', slot: 1, item: longBtc(1) },
      ]),
      /^\[I2\] ETH: live order\(s\) paper-3 \(tsr-ETH-\w+-2\) at 100.58 that no record holds, older orders of the record's position/,
      { seed: 3 },
    );
  });

  // bot-1 replaces its long p2 by a short p2 on ETH (retire, then a new claim: v1 pending, its
  // order, v2) while bot-0 waits to claim ETH for a long p1. bot-0's claim finds the short's record
  // and deletes it (another position) without cancelling the order it names; the short's order
  // rests on the venue with no record (I2), as in issue 10 defect 7 on another path.
  it("N15 (fixed): a claim for another position cancels the order of the record it deletes", async () => {
    const delays = {
      placer: [],
      store: [
        { operation: '*', call: 4, fault: { kind: 'delay', ms: 10, phase: 'request' } },
        { operation: '*', call: 1, fault: { kind: 'delay', ms: 2_000, phase: 'answer' } },
      ],
    } as const satisfies SlotFaults;
    await nowFixed(
      input(world({ time: 'race', watch: false, slots: [quiet, delays] }), [
        { op: 'create', slot: 1, item: { key: 'ETH', spec: { side: 'long', quantity: 2, stopLossPercent: null, positionId: 'p2' } } },
        {
          op: 'createMany',
          slot: 0,
          items: [
            { key: 'ETH', spec: { side: 'short', quantity: 2, stopLossPercent: 5, positionId: null } },
            { key: 'ETH', spec: { side: 'long', quantity: 3, stopLossPercent: 1, positionId: 'p1' } },
          ],
        },
        { op: 'reconcile', slot: 1 },
        { op: 'create', slot: 1, item: { key: 'ETH', spec: { side: 'short', quantity: 3, stopLossPercent: 1, positionId: 'p2' } } },
        { op: 'create', slot: 0, item: { key: 'BTC', spec: { side: 'short', quantity: 1, stopLossPercent: 1, positionId: null } } },
        { op: 'remove', slot: 2, key: 'ETH' },
      ]),
      /\[I2\] ETH: live order\(s\) paper-2 \(tsr-ETH-\w+-1\) at 101 that no record holds, its record deleted while it rested; the store has no record/,
      { seed: 29 },
    );
  });

  // On a venue that amends in place, bot-1 dies right after its amend moved the order from 99 to
  // 99.99 (the record still says 99). After the restart, restore() and reconcile() find the order
  // open and keep the record's price for it: memory and store say 99 while the venue holds 99.99
  // (I4), and the next move may amend the stop down from 99.99, looser (I5). Reconciliation should
  // take the venue's price of an order it adopts.
  it("N16 (fixed in 8d2ea9a): after a crash right after an amend, the restored stop takes its order's price", async () => {
    await nowFixed(
      input(world({ amend: true }), [
        { op: 'create', slot: 1, item: { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: 1, positionId: null } } },
        settle,
        { op: 'crash', slot: 1, afterCalls: 2, when: 'before' },
        { op: 'price', key: 'ETH', percent: 1, stale: true },
      ]),
      /^\[I4 venue\] ETH \(after the heal\): the venue holds paper-1 at 99.99 x 1; waiting v2 of bot-1/,
    );
  });

  // N14's root seen on the venue: bot-0 moves BTC from 98 to 100.38 (the new order is lost on the
  // venue at once, the old half cancelled), while bot-1 reconciles from the record it listed (98,
  // seq 1). bot-1 finds that order cancelled and places the stop again at the listed 98: the
  // position's stop on the venue goes from 100.38 to 98 (I5). A false positive of the venue
  // monitor: the by-hand cancel took the old order (level 100.38, the new one left) and the lost
  // order then took the new one, leaving nothing; a cancel that may be by hand and leaves nothing
  // kept the level instead of forgetting it (as a by-hand cancel that leaves a looser order lowers
  // it), so a re-placement after every order was gone counted as a loosening. (The real defect of
  // that family, a reconcile placing the record's price while the move's order rests, is fixed
  // since: see the reconcile tests.)
  it('N14b (fixed): a stale reconcile does not place the stop again at the price it listed, below the one the venue had', async () => {
    const lostMove = placerFault('placeStop', 2, { kind: 'lose-order' });
    await nowFixed(
      input(world({ slots: [lostMove, quiet] }), [
        { op: 'create', slot: 0, item: longBtc(2, 'p2') },
        settle,
        { op: 'reconcile', slot: 1 },
        { op: 'price', key: 'BTC', percent: 1.4, stale: false },
        { op: 'cancelByHand', key: 'BTC' },
      ]),
      /^\[I5 venue\] after placeStop of tsr-BTC-\w+-3 the position's tightest live stop is 98, looser than the 100.38 it had/,
    );
  });

  // bot-1, reconciling from a stale listing, places BTC again under seq 2, an id bot-0 already
  // spent on its move: ClientOrderIdUsedError five times in a row, and bot-1 writes the stop
  // 'failed' (order none) although bot-0's stop is fine. bot-0's resize places a new order for 2,
  // its write conflicts, merges the stored 'failed' in and writes it: a working stop ends failed,
  // and resize() rejects with ERR_PLACEMENT_FAILED for a failure bot-0 never reported (I6).
  // Fixed since 06117f9.
  it("N17 (fixed): a stale registry's spent-id failure does not mark another registry's working stop failed", async () => {
    await nowFixed(
      input(world({ time: 'race', slots: [{"placer": [{"operation": "placeStop", "call": 2, "fault": {"kind": "lose-order"}}], "store": []} as SlotFaults, quiet] }), [{"op": "create", "slot": 0, "item": {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": 1, "positionId": "p1"}}}, {"op": "settle"}, {"op": "createMany", "slot": 1, "items": [{"key": "ETH", "spec": {"side": "long", "quantity": 2, "stopLossPercent": 2, "positionId": "p1"}}]}, {"op": "price", "key": "ETH", "percent": -10, "stale": false}, {"op": "create", "slot": 0, "item": {"key": "ETH", "spec": {"side": "short", "quantity": 1, "stopLossPercent": null, "positionId": null}}}, {"op": "reconcile", "slot": 1}, {"op": "price", "key": "BTC", "percent": 1.4, "stale": false}, {"op": "cancelByHand", "key": "BTC"}, {"op": "resize", "slot": 0, "key": "BTC", "quantity": 2}] as CommandData[]),
      /^\[I6\] bot-0#1 \{"op":"resize".* rejected with ERR_PLACEMENT_FAILED \(Resizing the stop for BTC failed\) but no `error` event reported it/,
      { seed: 13 },
      openDefectExcuse,
    );
  });

  // The issue's "amend that loosened a stop on the venue": on a venue that amends in place, bot-0
  // holds BTC (stop 99) and bot-1 holds it too (reconciled in). A rally: bot-0 amends the shared
  // order to 100.08. bot-1's policy, fed the same ticks in another order (a stale one among them),
  // reaches 99.99 and amends the same order to it: the venue's stop goes from 100.08 down to 99.99
  // (I5). An amend compares its target with what this registry last sent, not with what the order
  // holds now; make-before-break's "keep the tighter order" has nothing to keep here.
  it("N18 (fixed): a registry whose policy lags does not amend the shared order down", async () => {
    await nowFixed(
      input(world({ amend: true }), [{"op": "createMany", "slot": 0, "items": [{"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": 1, "positionId": null}}]}, {"op": "settle"}, {"op": "price", "key": "BTC", "percent": 0.1, "stale": true}, {"op": "reconcile", "slot": 1}, {"op": "price", "key": "BTC", "percent": 1, "stale": true}, {"op": "settle"}, {"op": "price", "key": "BTC", "percent": -0.1, "stale": true}, {"op": "restore", "slot": 0}] as CommandData[]),
      /^\[I5 venue\] after amendStop of tsr-BTC-\w+-1 the position's tightest live stop is 99.99, looser than the 100.08 it had/,
    );
  });

  // Without the store's change feed each registry re-reads a stop before acting on it
  // (revalidateAfterMs: 0 here, "0 re-reads every time"). bot-1 adopts ETH while bot-0 removes it;
  // later (two settles on) bot-1's create() for ETH resolves with that stale stop at once: the record is gone and
  // nothing protects the position (I6; issue 10 defect 2 without a feed). "Confirmed lately" is
  // now - confirmedAt <= revalidateAfterMs, true when no time has passed, so 0 never re-reads
  // within the same millisecond (here the clock stands still between the calls).
  it('N20 (fixed in c27e05a): with revalidateAfterMs 0 and no change feed, create() re-reads a stop removed in the same instant', async () => {
    const eth = { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: 2, positionId: null } } as const;
    await nowFixed(
      input(world({ watch: false }), [
        { op: 'create', slot: 2, item: eth },
        settle,
        { op: 'remove', slot: 0, key: 'ETH' },
        { op: 'create', slot: 1, item: eth },
        settle,
        settle,
        { op: 'create', slot: 1, item: eth },
      ]),
      /^\[I6\] bot-1#1 .* resolved with a waiting stop .* but the store has no record: .*\(no change feed\)$/m,
      { seed: 5 },
    );
  });

  // The sync catches up after a spent client order id by re-reading the record (refresh); when
  // that store read fails, the error escapes the sync loop: an unhandled promise rejection (a Node
  // process exits on one by default) and the stop stops syncing, half-way: memory holds no order
  // while the store names one (I4), and no event says so. Replayed exactly from the campaign's
  // counterexample (its scheduler's order): no deterministic policy reproduces it.
  // Since the gateway's split (4b09885) this exact replay no longer follows the failing run's
  // tasks, so it proves little; the campaign property reports any unhandled rejection it meets.
  it('N19: a store failure while the sync re-reads after a spent id does not escape as an unhandled rejection', async () => {
    const unhandled = await unhandledRejectionsOf(() => replayOrdering(n19, n19Ordering, openDefectExcuse));
    expect(unhandled).toEqual([]);
  });

  // A triggered stop's record write fails (the store's load answered an error after the lost
  // order's replacement): memory holds the stop triggered at v2, the store still waiting at v2
  // (I4), and nothing writes it again: other registries and a restart see a live stop whose
  // order filled. (The stop had filled on the venue: the clean-up's read of the record failed,
  // and only a failed delete was owed. Fixed: the whole clean-up, read included, is owed.)
  it("N21 (fixed): a fill's record clean-up whose store read fails is retried", async () => {
    await nowFixed(
      {"store": "memory", "amend": false, "stream": true, "watch": true, "time": "idle", "slots": [{"placer": [{"operation": "placeStop", "call": 4, "fault": {"kind": "lose-order"}}], "store": [{"operation": "load", "call": 4, "fault": {"kind": "reject", "executed": true}}]}, {"placer": [], "store": []}], "commands": [{"op": "create", "slot": 0, "item": {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": null}}}, {"op": "remove", "slot": 0, "key": "BTC"}, {"op": "createMany", "slot": 0, "items": [{"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": 2, "positionId": "p2"}}, {"key": "ETH", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": "p1"}}]}, {"op": "settle"}, {"op": "price", "key": "BTC", "percent": -2.1, "stale": false}]} as CampaignInput,
      /^\[I4\] bot-0#1 wrote BTC last but holds triggered v\d+ .*; the store has waiting v\d+ of bot-0/,
      'lifo',
      openDefectExcuse,
    );
  });

  // The simplest form: one creation whose double-check write is refused once (the store's answer
  // is an error; nothing was written). The owed write is retried and lands (v2), and then the
  // registry goes on rewriting the same record, v3, v4, ... v300 and on: it never goes idle
  // ([idle]: onIdle() does not resolve within the bound) and the store takes a write per step. The
  // owed write seems never to count as done. (First seen with more going on, where re-creating
  // position p1 after p2 replaced it also failed with ClientOrderIdUsedError, its sequence 1 spent.)
  it('N22 (fixed in c27e05a): an owed write that lands is not rewritten forever', async () => {
    const refusedOnce = storeFault('compareAndSet', 1, { kind: 'reject', executed: false });
    await nowFixed(
      input(world({ time: 'race', slots: [quiet, quiet, refusedOnce] }), [
        { op: 'create', slot: 2, item: { key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent: 1, positionId: null } } },
      ]),
      /^\[idle\] onIdle\(\) did not resolve: exhausted after \d+ scheduler steps .*pending: none; .*bot-2#1 inFlight=1/,
    );
  });

  // Without a change feed: bot-1 creates BTC for p2 while bot-0 replaces its own stops on the key
  // (p1, then p2). bot-1 ends holding p2 at v3 while the store holds bot-0's p2 at v2: its version
  // belongs to a record deleted and created again below it (versions restart, N4c's root), so
  // bot-1's next compare-and-set may land on the wrong record and its reads look older (I4).
  it('N23 (fixed): without a change feed no registry holds a version of a record deleted and re-created below it', async () => {
    await nowFixed(
      {"store": "memory", "amend": false, "stream": true, "watch": false, "time": "idle", "slots": [{"placer": [], "store": [{"operation": "load", "call": 1, "fault": {"kind": "delay", "ms": 10, "phase": "request"}}]}, {"placer": [], "store": []}], "commands": [{"op": "create", "slot": 0, "item": {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": null}}}, {"op": "create", "slot": 1, "item": {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": "p2"}}}, {"op": "createMany", "slot": 0, "items": [{"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": "p1"}}, {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": "p2"}}]}, {"op": "settle"}]} as CampaignInput,
      /^\[I4\] bot-1#1 holds BTC at a version ahead of the store: waiting v3 .*; the store has waiting v2 of bot-0 .*\(no change feed\)$/m,
    );
  });


  // bot-0 claims BTC and places its first order; bot-1 creates another position on BTC, reads
  // bot-0's claim before that order is recorded, and replaces it. bot-0's double-check write is
  // refused (not executed), so it owes the write; its change feed then says the record is another
  // position's, and the refresh dropped the stop on the assumption that the replacer had cancelled
  // its order: paper-1 stayed live, named by no record (I2). Found by the CI seed after 6277e76.
  it("N32 (fixed): a stop dropped because another position replaced its claim cancels the order the replacer never saw", async () => {
    await nowFixed(
      input(world({ slots: [storeFault('compareAndSet', 1, { kind: 'reject', executed: false }), quiet, quiet] }), [
        { op: 'create', slot: 0, item: { key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent: 1, positionId: null } } },
        { op: 'create', slot: 1, item: { key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent: null, positionId: 'p2' } } },
        settle,
      ]),
      /^\[I2\] BTC: live order\(s\) paper-1 \(tsr-BTC-\w+-1\) at 99 that no record holds, another position's/,
    );
  });

  // One registry: a reconcile lists ETH's record, a remove() of ETH deletes it meanwhile, and the
  // pass loads the record it listed back into memory. The next create() without a positionId
  // found that removed stop live and resolved with it: no record, no order (I6). The reconciler
  // now skips a listed record of a stop this registry deleted since. (Soak seed 206.)
  it('N33 (fixed): a reconcile does not bring back a stop removed while it ran', async () => {
    await nowFixed(
      input(world({ time: 'race' }), [
        { op: 'createMany', slot: 0, items: [{ key: 'ETH', spec: { side: 'long', quantity: 3, stopLossPercent: null, positionId: 'p1' } }] },
        settle,
        { op: 'reconcile', slot: 0 },
        { op: 'remove', slot: 0, key: 'ETH' },
        settle,
        { op: 'create', slot: 0, item: { key: 'ETH', spec: { side: 'long', quantity: 3, stopLossPercent: 2, positionId: null } } },
        settle,
      ]),
      /^\[I6\] bot-0#1 .* resolved with a waiting stop \(ETH-long-p1, order none\) but the store has no record/,
      { seed: 2 },
    );
  });

  // bot-0 starts creating ETH (a long of 1, no initial stop) and dies at once, its claim pending.
  // bot-1 asks for a long of 3, waits for that claim, takes it over once its lease lapses and
  // resolved with the claimed stop: quantity 1 (the contradiction check of the N5 fix covered a
  // live stop and a flight of the same registry, not a claim found pending in the store). Now it
  // resolves the claim as claimed (bot-0's position is protected) and rejects: StopConflictError.
  it("N5c (fixed): a creation that takes over another registry's claim resolves it, and rejects when its own spec differs", async () => {
    const refusedCancel = placerFault('cancelStop', 2, { kind: 'reject' });
    await nowFixed(
      input(world({ slots: [refusedCancel, quiet] }), [
        { op: 'create', slot: 0, item: { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: null, positionId: null } } },
        { op: 'crash', slot: 0, afterCalls: 0, when: 'before' },
        { op: 'create', slot: 1, item: { key: 'ETH', spec: { side: 'long', quantity: 3, stopLossPercent: null, positionId: null } } },
        { op: 'price', key: 'BTC', percent: 5, stale: true },
      ]),
      /^\[create\] bot-1#1 .* asked for long 3 at 100 and resolved with a waiting stop of quantity 1/,
      'fifo',
      openDefectExcuse,
    );
  });

  // bot-0 holds a short on BTC, restarts (restore), and a gap triggers it; the trigger's write
  // commits but answers an error (the 5th store call, injected). The store has the triggered stop
  // at v3, written by bot-0, while bot-0's memory says v2 (I4): the landed write was not learned,
  // so the next write from that memory conflicts with itself. (Found by the CI seed.) The write is
  // reconciliation's of a stop that filled while bot-0 was down; it was not owed. Fixed: the
  // reconciler owes every write of what memory took from the venue; the owed write meets the
  // landed one, merges it and writes on top of it.
  it("N27 (fixed): a registry's memory catches up with a write of its own that landed with an error answer", async () => {
    await nowFixed(
      {"store": "memory", "amend": false, "stream": true, "watch": true, "time": "idle", "slots": [{"placer": [], "store": [{"operation": "*", "call": 5, "fault": {"kind": "reject", "executed": true}}]}, {"placer": [], "store": []}], "commands": [{"op": "createMany", "slot": 0, "items": [{"key": "BTC", "spec": {"side": "short", "quantity": 1, "stopLossPercent": 1, "positionId": null}}]}, {"op": "settle"}, {"op": "restart", "slot": 0}, {"op": "price", "key": "BTC", "percent": 5, "stale": true}]} as CampaignInput,
      /^\[I4\] bot-0#2 wrote BTC last but holds triggered v2 .*\(behind its own newer write\); the store has triggered v3 of bot-0/,
      'fifo',
      openDefectExcuse,
    );
  });

  // Without a change feed: bot-1's stop for p2 fills (triggered, its record deleted), then bot-0
  // opens p2 again. bot-1 still shows its ended stop (v3), the store bot-0's new one (v2): the check
  // took them for one stop by position id and called bot-1 ahead of the store. They are two stops
  // (the library tells them apart by creation time) and the ended one never writes again: a false
  // positive of the check, which now compares versions of an ended stop only within its incarnation.
  it('N-agree-1 (check fixed): an ended stop is not ahead of a later stop of the same position id', async () => {
    await nowFixed(
      {"store": "memory", "amend": false, "stream": true, "watch": false, "time": "idle", "slots": [quiet, quiet], "commands": [{"op": "create", "slot": 0, "item": {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": null}}}, {"op": "createMany", "slot": 1, "items": [{"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": 2, "positionId": "p2"}}]}, settle, {"op": "price", "key": "BTC", "percent": -2, "stale": true}, settle, {"op": "create", "slot": 0, "item": {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": "p2"}}}, settle]} as CampaignInput,
      /^\[I4\] bot-1#1 holds BTC at a version ahead of the store: triggered v3 .*; the store has waiting v2 of bot-0 \(BTC-long-p2, .*\(no change feed\)$/m,
      'fifo',
      openDefectExcuse,
    );
  });

  // One creation on a venue whose answers lose every race with the timeout (three attempts time
  // out, the late answers are cancelled): it fails, reported. Its write of the failed state (the
  // claim's compare-and-set) is refused once by the store, and nothing owes it: the claim stays
  // pending at quiescence (I2), so other registries wait for its lease and nothing says the
  // position is unprotected in the store. The failed-state write is now owed like the others.
  it("N28 (fixed): a failed creation whose failed-state write is refused leaves no claim pending", async () => {
    const refusedOnce = storeFault('compareAndSet', 1, { kind: 'reject', executed: false });
    await nowFixed(
      input(world({ time: 'race', slots: [quiet, quiet, refusedOnce] }), [
        { op: 'create', slot: 2, item: { key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent: 1, positionId: null } } },
      ]),
      /^\[I2\] BTC: claim left pending at quiescence: pending v1 of bot-2/,
      'lifo',
    );
  });

  // N28 on a key whose stale record was cleared first (soak seed 6): bot-0 holds BTC for its own
  // position (no stop yet); bot-1 creates it for p1, deletes bot-0's record and claims v3; the
  // price falls through the initial stop, the placement is refused as a gap and bot-1's write of
  // the triggered state is refused once. The claim stayed pending (v3) at quiescence.
  it("N-claims-1 (fixed): a gap on a creation whose triggered-state write is refused leaves no claim pending", async () => {
    const refusedLoad = storeFault('load', 1, { kind: 'reject', executed: false });
    const refusedWrite = storeFault('compareAndSet', 1, { kind: 'reject', executed: false });
    await nowFixed(
      input(world({ time: 'idle', slots: [refusedLoad, refusedWrite] }), [
        { op: 'create', slot: 0, item: { key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent: null, positionId: null } } },
        { op: 'create', slot: 1, item: { key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent: 1, positionId: 'p1' } } },
        { op: 'price', key: 'BTC', percent: -1, stale: true },
        settle,
      ]),
      /^\[I2\] BTC: claim left pending at quiescence: pending v3 of bot-1/,
      'fifo',
    );
  });

  // bot-2 creates ETH for p2 while bot-0's stop holds the key: its double-check lands but answers
  // an error (the write is owed), then a spec for another p2 position (a short) replaces it. The
  // owed write, in flight across the removal, retried on top of the conflict it met: it wrote the
  // removed stop as failed over the new position's claim, whose creation then cancelled its own
  // order and rejected ([failed]: a failed record with its order cancelled; soak seed 12345).
  it("N-claims-2 (fixed): a write in flight across its stop's removal lands nowhere", async () => {
    const landsWithError = storeFault('compareAndSet', 2, { kind: 'reject', executed: true });
    await nowFixed(
      input(world({ time: 'race', slots: [quiet, quiet, landsWithError] }), [
        { op: 'create', slot: 0, item: { key: 'ETH', spec: { side: 'long', quantity: 1, stopLossPercent: 5, positionId: null } } },
        { op: 'createMany', slot: 2, items: [{ key: 'BTC', spec: { side: 'short', quantity: 1, stopLossPercent: 2, positionId: null } }] },
        {
          op: 'createMany',
          slot: 2,
          items: [
            { key: 'ETH', spec: { side: 'long', quantity: 3, stopLossPercent: 5, positionId: null } },
            { key: 'ETH', spec: { side: 'long', quantity: 2, stopLossPercent: 1, positionId: 'p2' } },
            { key: 'ETH', spec: { side: 'short', quantity: 3, stopLossPercent: 2, positionId: 'p2' } },
          ],
        },
      ]),
      /^\[failed\] ETH: the stop failed and its previous order is cancelled: failed v5 of bot-2/,
      { seed: 5 },
    );
  });

  // bot-0's claim lands but its insert answers an error, and the read-back fails too: the creation
  // rejects, and the claim stayed pending at quiescence with nobody working on it (I2; soak seed 6).
  it("N-claims-3 (fixed): a claim whose insert and read-back both fail is released once the store answers", async () => {
    await nowFixed(
      input(world({ slots: [{ placer: [], store: [{ operation: 'load', call: 1, fault: { kind: 'reject', executed: false } }, { operation: 'insert', call: 1, fault: { kind: 'reject', executed: true } }] }, quiet] }), [
        { op: 'create', slot: 0, item: { key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent: null, positionId: null } } },
        settle,
      ]),
      /^\[I2\] BTC: claim left pending at quiescence: pending v1 of bot-0/,
    );
  });

  // bot-0 creates BTC for p1 and removes it: its client order id 1 is spent. bot-1, which never
  // knew p1, creates it again: id 1 is refused as spent, and the move of its claim to id 2 lands
  // but answers an error. The failed state's write then conflicted with that very claim and was
  // dropped: the claim stayed pending (I2; soak seeds 73, 74, 76, 77 on the fix of seed 64).
  it("N-claims-4 (fixed): a failed creation's write goes on top of its own claim that landed with an error answer", async () => {
    await nowFixed(
      input(world({ slots: [quiet, storeFault('compareAndSet', 1, { kind: 'reject', executed: true })] }), [
        { op: 'create', slot: 0, item: longBtc(1, 'p1') },
        { op: 'remove', slot: 0, key: 'BTC' },
        settle,
        { op: 'createMany', slot: 1, items: [longBtc(1, 'p1')] },
        { op: 'crash', slot: 0, afterCalls: 1, when: 'before' },
      ]),
      /^\[I2\] BTC: claim left pending at quiescence: pending v2 of bot-1/,
    );
  });

  // bot-0 holds a short of 2 on BTC (stop 105) and restarts; while the new process restores (one of
  // its store answers is lost after the write), a gap to 105 fills the stop on the venue and the
  // order stream reports it. At quiescence the record is still 'waiting' with the filled order and
  // the restarted registry holds it live (I2): the fill was dropped, like N9's early cancel, by a
  // registry that did not know the order yet. Replayed in the failing run's exact task order (CI
  // seed); no deterministic policy reproduces it.
  it.fails("N29: a fill reported while a restarted registry restores is lost", async () => {
    const failure = await replayOrdering(n29, n29Ordering, excuseAllBut('N29')).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    if (failure !== undefined && /^\[I2\] BTC: the record's order is filled on the venue/.test(failure.message)) throw failure;
  });

  // Found at the CI seed: bot-0 holds a short ETH (stop 105) and moves it to 98.28 make-before-
  // break (the new order rests, the old one is cancelled), then dies before it writes the move.
  // At the heal bot-1 restores: the record still names the cancelled old order, so it placed the
  // stop again at 105 (seq 3), and its orphan sweep then cancelled the move's tighter order as
  // superseded (I5 on the venue after cancelStop, after a crash). Fixed with seeds 1 and 8 of the
  // soak: the restore adopts the move's order the listing holds instead.
  it('N31 (fixed): a restore beside another registry\'s move does not place the old price again and cancel the tighter order', async () => {
    await nowFixed(
      input(
        world({
          time: 'race',
          slots: [
            { placer: [{ operation: 'placeStop', call: 5, fault: { kind: 'lose-order' } }], store: [{ operation: 'load', call: 1, fault: { kind: 'reject', executed: false } }] },
            quiet,
          ],
        }),
        [
          { op: 'create', slot: 0, item: { key: 'ETH', spec: { side: 'short', quantity: 2, stopLossPercent: 5, positionId: 'p2' } } },
          settle,
          { op: 'crash', slot: 2, afterCalls: 6, when: 'before' },
          { op: 'price', key: 'ETH', percent: -2.7, stale: false },
          { op: 'create', slot: 1, item: { key: 'BTC', spec: { side: 'long', quantity: 2, stopLossPercent: 5, positionId: null } } },
          settle,
        ],
      ),
      /^\[I5 venue\] after cancelStop of tsr-ETH-\w+-2 the position's tightest live stop is 105, looser than the 98.28 it had \(after a crash\)$/,
      { seed: 11 },
    );
  });

  // On a venue that amends, bot-0 moves BTC's order from 98 to 100.78 and writes it; bot-1, which
  // adopted the stop at 98, removes it meanwhile: it cancels the order, and its record delete is
  // refused. The failed removal keeps the stop and places its order again, at the 98 of its
  // memory, although the record it had just read says 100.78 (I5 on the venue). Fixed: the order
  // placed again goes out at the tighter of memory's and that record's stop.
  it('N-looser-1 (fixed): a removal whose delete failed places the order again at the stop the record it read says, not looser', async () => {
    await nowFixed(
      input(world({ amend: true, slots: [quiet, storeFault('delete', 1, { kind: 'reject', executed: false })] }), [
        {
          op: 'createMany',
          slot: 0,
          items: [
            { key: 'BTC', spec: { side: 'short', quantity: 1, stopLossPercent: null, positionId: null } },
            { key: 'BTC', spec: { side: 'long', quantity: 1, stopLossPercent: 2, positionId: 'p2' } },
          ],
        },
        settle,
        { op: 'price', key: 'BTC', percent: 1.8, stale: false },
        { op: 'restore', slot: 1 },
        { op: 'create', slot: 1, item: { key: 'BTC', spec: { side: 'long', quantity: 3, stopLossPercent: 1, positionId: 'p2' } } },
        { op: 'remove', slot: 1, key: 'BTC' },
        settle,
      ]),
      /^\[I5 venue\] after placeStop of tsr-BTC-\w+-2 the position's tightest live stop is 98, looser than the 100.78 it had/,
      'lifo',
    );
  });
});

/** The counterexample of N19, as the campaign printed it. */
const n19: CampaignInput = {"store": "memory", "amend": false, "stream": true, "watch": false, "time": "race", "slots": [{"placer": [{"operation": "*", "call": 3, "fault": {"kind": "timeout", "executed": false}}, {"operation": "placeStop", "call": 5, "fault": {"kind": "reject"}}, {"operation": "openStops", "call": 4, "fault": {"kind": "late"}}, {"operation": "*", "call": 2, "fault": {"kind": "lose-order"}}], "store": [{"operation": "list", "call": 4, "fault": {"kind": "reject", "executed": true}}]}, {"placer": [{"operation": "findStop", "call": 8, "fault": {"kind": "timeout", "executed": false}}, {"operation": "placeStop", "call": 6, "fault": {"kind": "timeout", "executed": true}}, {"operation": "placeStop", "call": 5, "fault": {"kind": "timeout", "executed": true}}], "store": [{"operation": "load", "call": 2, "fault": {"kind": "reject", "executed": true}}]}], "commands": [{"op": "createMany", "slot": 0, "items": [{"key": "ETH", "spec": {"side": "long", "quantity": 1, "stopLossPercent": 1, "positionId": "p1"}}, {"key": "ETH", "spec": {"side": "short", "quantity": 3, "stopLossPercent": null, "positionId": "p2"}}]}, {"op": "settle"}, {"op": "create", "slot": 0, "item": {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": 2, "positionId": "p2"}}}, {"op": "settle"}, {"op": "restore", "slot": 2}, {"op": "settle"}, {"op": "settle"}, {"op": "settle"}, {"op": "price", "key": "ETH", "percent": 2.7, "stale": false}, {"op": "create", "slot": 0, "item": {"key": "BTC", "spec": {"side": "long", "quantity": 1, "stopLossPercent": null, "positionId": "p2"}}}, {"op": "cancelByHand", "key": "ETH"}, {"op": "price", "key": "ETH", "percent": -1.5, "stale": false}, {"op": "restore", "slot": 2}, {"op": "create", "slot": 2, "item": {"key": "ETH", "spec": {"side": "short", "quantity": 2, "stopLossPercent": 2, "positionId": null}}}, {"op": "createMany", "slot": 1, "items": [{"key": "ETH", "spec": {"side": "long", "quantity": 2, "stopLossPercent": 2, "positionId": "p1"}}]}, {"op": "price", "key": "ETH", "percent": -10, "stale": false}, {"op": "create", "slot": 1, "item": {"key": "ETH", "invalid": "stop-loss-out-of-range"}}, {"op": "create", "slot": 0, "item": {"key": "ETH", "spec": {"side": "short", "quantity": 1, "stopLossPercent": null, "positionId": null}}}, {"op": "reconcile", "slot": 1}, {"op": "price", "key": "BTC", "percent": 1.4, "stale": false}, {"op": "cancelByHand", "key": "BTC"}, {"op": "resize", "slot": 0, "key": "BTC", "quantity": 2}, {"op": "resize", "slot": 1, "key": "BTC", "quantity": 0}, {"op": "settle"}]} as CampaignInput;

/** The order in which the failing run released its scheduler's tasks (task ids). */
const n19Ordering: readonly number[] = [1, 3, 2, 4, 6, 7, 10, 8, 9, 5, 12, 13, 11, 15, 17, 18, 21, 19, 16, 23, 24, 20, 25, 14, 22, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 38, 37, 41, 43, 42, 40, 45, 39, 46, 47, 48, 49, 50, 44, 51, 52, 53, 54, 58, 66, 63, 67, 59, 70, 60, 62, 64, 69, 65, 72, 68, 75, 73, 55, 74, 79, 56, 76, 78, 57, 71, 82, 81, 84, 91, 61, 85, 77, 88, 83, 86, 80, 89, 87, 94, 90, 93, 102, 97, 101, 99, 96, 92, 106, 105, 95, 100, 110, 108, 98, 111, 112, 107, 109, 113, 104, 115, 103, 116, 114, 117, 118, 119, 120];

/** The counterexample of N29 (CI seed 20261201), and its scheduler's order. */
const n29: CampaignInput = {"store": "memory", "amend": false, "stream": true, "watch": true, "time": "race", "slots": [{"placer": [], "store": [{"operation": "*", "call": 5, "fault": {"kind": "reject", "executed": true}}]}, {"placer": [], "store": []}], "commands": [{"op": "settle"}, {"op": "createMany", "slot": 0, "items": [{"key": "BTC", "invalid": "nan-entry"}, {"key": "BTC", "spec": {"side": "short", "quantity": 2, "stopLossPercent": 5, "positionId": null}}]}, {"op": "settle"}, {"op": "restart", "slot": 0}, {"op": "price", "key": "BTC", "percent": 5, "stale": true}, {"op": "settle"}]} as CampaignInput;
const n29Ordering: readonly number[] = [1, 2, 4, 5, 3, 7, 6, 8, 10, 12, 9, 13, 14, 15, 16, 18, 11, 19, 17, 20, 21, 22, 25, 26, 24, 23];
