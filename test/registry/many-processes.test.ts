/**
 * Many processes, exactly once (I1, I2, I4 across registries), against a real PostgreSQL server:
 * registries with their own pg Pool and owner id share one schema and one paper venue, and all
 * create the same keys at once. At quiescence there is exactly one live order per key, no orphan,
 * and every registry sees the same stop. Then one registry dies in the middle of a wave and the
 * others' restore-and-reconcile finish its work once its leases expire. Last, the same race with
 * real separate processes (node:child_process), the venue served to them over IPC.
 *
 * Run: `scripts/with-postgres.sh npx vitest run test/registry/many-processes.test.ts`.
 * Time is a manual clock where leases matter; nothing asserts on wall-clock time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PaperExchange, TrailingStopRegistry, type StopRecord, type TrailingStopRegistryOptions } from '../../src/index.js';
import { PostgresStateStore } from '../../src/stores/postgres.js';
import { Crash, ManualClock, Pause, type CrashPoint } from '../support/crash.js';
import { createPool, databaseUrl, dropSchema, postgresAvailable, randomSchemaName, reportMissingPostgres } from '../support/postgres.js';
import { listen, longSpec } from '../support/fixtures.js';
import { serveVenue } from '../support/ipc-placer.js';
import type { ChildMessage, GoMessage } from '../support/child-registry.js';
import { DoubleCheckRegistry, type NaiveSpec } from '../naive/double-check-registry.js';

reportMissingPostgres();

const keyCount = 200;
const keys = Array.from({ length: keyCount }, (_, index) => `K${index.toString().padStart(3, '0')}`);
const leaseMs = 200;

describe.runIf(postgresAvailable)('many registries on one PostgreSQL database and one venue', () => {
  let schema: string;
  let admin: pg.Pool;
  let pools: pg.Pool[];
  let venue: PaperExchange;

  beforeEach(() => {
    schema = randomSchemaName();
    admin = createPool({ max: 2 });
    pools = [];
    // Answers take 0-2 ms, so creations of different registries interleave at the venue too.
    venue = new PaperExchange({ latencyMs: (call) => call.sequence % 3 });
  });

  afterEach(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await dropSchema(admin, schema);
    await admin.end();
  });

  /** A registry as one bot process: its own pool, store and owner id. */
  function bot(owner: string, options: Partial<TrailingStopRegistryOptions> = {}, wrap: { crash?: Crash | Pause } = {}): TrailingStopRegistry {
    const pool = createPool({ max: 4 });
    pools.push(pool);
    const store = new PostgresStateStore({ client: pool, schema });
    return new TrailingStopRegistry({
      placer: wrap.crash ? wrap.crash.placer(venue) : venue,
      store: wrap.crash ? wrap.crash.store(store) : store,
      owner,
      concurrency: 8,
      claimPollMs: 5,
      retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
      ...options,
      ...(wrap.crash && options.clock ? { clock: wrap.crash.clock(options.clock) } : {}),
    });
  }

  async function records(): Promise<Map<string, StopRecord>> {
    const store = new PostgresStateStore({ client: admin, schema });
    return new Map((await store.list()).map((record) => [record.key, record]));
  }

  /** I2 at quiescence, and exactly once: each key has had one order, ever, and it is live and recorded. */
  async function expectOneOrderPerKey(): Promise<Map<string, StopRecord>> {
    const stored = await records();
    expect([...stored.keys()].sort()).toEqual(keys);
    const live = venue.liveOrders();
    expect(live).toHaveLength(keyCount);
    const liveBySymbol = new Map(live.map((order) => [order.symbol, order]));
    expect(liveBySymbol.size, 'one live order per key').toBe(keyCount);
    for (const key of keys) {
      const record = stored.get(key)!;
      expect(record.state, `state of ${key}`).toBe('waiting');
      expect(record.order?.id, `recorded order of ${key}`).toBe(liveBySymbol.get(key)!.id);
    }
    // No orphans: every live order is some record's order.
    const recorded = new Set([...stored.values()].map((record) => record.order?.id));
    expect(live.filter((order) => !recorded.has(order.id))).toEqual([]);
    // Exactly once: nothing was ever placed twice for a key (no loser's order to compensate).
    expect(venue.allOrders()).toHaveLength(keyCount);
    return stored;
  }

  /** Every registry holds, for every key, the stored stop: same position, same order. */
  function expectSameView(registries: readonly TrailingStopRegistry[], stored: Map<string, StopRecord>): void {
    for (const registry of registries) {
      for (const key of keys) {
        const stop = registry.get(key);
        const record = stored.get(key)!;
        expect({ owner: registry.owner, key, positionId: stop?.positionId, order: stop?.order?.id }).toEqual({
          owner: registry.owner,
          key,
          positionId: record.positionId,
          order: record.order?.id,
        });
      }
    }
  }

  it('4 registries creating the same 200 keys at once: 200 live orders, no orphan, one view', async () => {
    const registries = [0, 1, 2, 3].map((index) => bot(`bot-${index}`));
    const waves = await Promise.all(registries.map((registry) => registry.createMany(keys.map((key) => longSpec(key)))));
    await Promise.all(registries.map((registry) => registry.onIdle()));

    for (const wave of waves) {
      expect(wave.filter((result) => result.status === 'rejected')).toEqual([]);
    }
    const stored = await expectOneOrderPerKey();
    expectSameView(registries, stored);
    const stats = registries.map((registry) => registry.stats);
    expect(stats.reduce((sum, item) => sum + item.created, 0), 'stops created, over all registries').toBe(keyCount);
    expect(stats.reduce((sum, item) => sum + item.created + item.adopted, 0)).toBe(4 * keyCount);
    expect(stats.reduce((sum, item) => sum + item.compensated, 0), 'orders cancelled after a lost race').toBe(0);

    // A periodic reconcile in every registry finds nothing to do.
    const heard = registries.map((registry) => listen(registry));
    await Promise.all(registries.map((registry) => registry.reconcile()));
    expect(heard.flatMap((events) => events.reconciled)).toEqual([]);
    await Promise.all(registries.map((registry) => registry.close()));
  });

  it('the same race FAILS with the naive check-work-double-check variant (the test has teeth)', async () => {
    const naive = [0, 1, 2, 3].map((index) => {
      const pool = createPool({ max: 4 });
      pools.push(pool);
      return new DoubleCheckRegistry({ placer: venue, store: new PostgresStateStore({ client: pool, schema }), owner: `naive-${index}` });
    });
    await Promise.all(naive.map((registry) => Promise.allSettled(keys.map((key) => registry.create(longSpec(key) as NaiveSpec)))));
    // Every registry placed its own order for most keys; the losers' orders were never cancelled.
    expect(venue.liveOrders().length).toBeGreaterThan(keyCount);
    await expect(expectOneOrderPerKey()).rejects.toThrow();
  });

  it('a registry dies mid-wave; after its leases expire another one\'s restore finishes the job, once', async () => {
    const clock = new ManualClock();
    let placements = 0;
    const crash = new Crash((point: CrashPoint) => {
      if (point.side !== 'placer' || point.operation !== 'placeStop' || point.when !== 'after') return false;
      return ++placements === 40; // the 40th order reaches the venue; its answer, and everything after, is lost
    });
    const doomed = bot('bot-0', { clock, leaseMs }, { crash });
    let doomedSettled = false;
    void doomed.createMany(keys.map((key) => longSpec(key))).finally(() => {
      doomedSettled = true;
    });
    await until(() => crash.crashed);
    await settle(admin, schema, 'bot-0');
    const left = [...(await records()).values()];
    const pending = left.filter((record) => record.state === 'pending');
    // It died with claims pending: some with their order on the venue (answer lost), some without.
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((record) => record.owner === 'bot-0')).toBe(true);
    expect(left.length).toBe(keyCount);
    const onVenue = new Set(venue.allOrders().map((order) => order.clientOrderId));
    expect(pending.some((record) => onVenue.has(record.clientOrderId))).toBe(true);
    expect(pending.some((record) => !onVenue.has(record.clientOrderId))).toBe(true);

    const rescuer = bot('bot-1', { clock, leaseMs });
    const heard = listen(rescuer);
    // The leases are live: a restore now must not steal them.
    await rescuer.restore();
    expect(heard.reconciled.filter((event) => event.action === 'adopted' || event.action === 'resumed')).toEqual([]);
    expect([...(await records()).values()].filter((record) => record.state === 'pending')).toHaveLength(pending.length);

    clock.advance(leaseMs);
    const report = await rescuer.restore();
    await rescuer.onIdle();
    const actions = report.reconciliation!.actions;
    expect(actions.filter((event) => event.action === 'adopted').length).toBe(pending.filter((record) => onVenue.has(record.clientOrderId)).length);
    expect(actions.filter((event) => event.action === 'resumed').length).toBe(pending.filter((record) => !onVenue.has(record.clientOrderId)).length);
    expect(actions.filter((event) => event.action !== 'adopted' && event.action !== 'resumed')).toEqual([]);

    const stored = await expectOneOrderPerKey();
    expectSameView([rescuer], stored);
    expect(doomedSettled, 'the dead registry never answers').toBe(false);
    // Idempotent: the next pass does nothing.
    expect((await rescuer.reconcile()).actions).toEqual([]);
    await rescuer.close();
  });

  it('a registry dies mid-wave while three others create the same keys: they and a restarted one finish it, once', async () => {
    const clock = new ManualClock();
    let placements = 0;
    let startSurvivors!: () => void;
    const survivorsMayStart = new Promise<void>((resolve) => {
      startSurvivors = resolve;
    });
    const crash = new Crash((point: CrashPoint) => {
      if (point.side !== 'placer' || point.operation !== 'placeStop' || point.when !== 'after') return false;
      placements++;
      if (placements === 10) startSurvivors();
      return placements === 30;
    });
    const doomed = bot('bot-0', { clock, leaseMs }, { crash });
    const survivors = [1, 2].map((index) => bot(`bot-${index}`, { clock, leaseMs, claimPollMs: 10 }));
    void doomed.createMany(keys.map((key) => longSpec(key)));
    await survivorsMayStart;
    const waves = survivors.map((registry) => registry.createMany(keys.map((key) => longSpec(key))));
    await until(() => crash.crashed);
    // The survivors finish their own keys and wait on the dead one's live claims.
    await settle(admin, schema, 'bot-0');
    expect([...(await records()).values()].some((record) => record.state === 'pending')).toBe(true);

    clock.advance(leaseMs);
    const restarted = bot('bot-3', { clock, leaseMs });
    const [, report] = await Promise.all([Promise.all(waves), restarted.restore()]);
    const results = await Promise.all(waves);
    for (const wave of results) expect(wave.filter((result) => result.status === 'rejected')).toEqual([]);
    await Promise.all([...survivors, restarted].map((registry) => registry.onIdle()));
    // Whoever took a claim over (a waiting creator or the restore), it happened once per key.
    expect(report.reconciliation!.actions.filter((event) => !['adopted', 'resumed'].includes(event.action))).toEqual([]);

    const stored = await expectOneOrderPerKey();
    expectSameView(survivors, stored);
    await restarted.reconcile();
    expectSameView([restarted], stored);
    for (const registry of [...survivors, restarted]) await registry.close();
  });

  async function pausedWave(when: 'after' | 'while'): Promise<void> {
    const clock = new ManualClock();
    let placements = 0;
    let startSurvivors!: () => void;
    const survivorsMayStart = new Promise<void>((resolve) => {
      startSurvivors = resolve;
    });
    const pause = new Pause((point: CrashPoint) => {
      if (point.side !== 'placer' || point.operation !== 'placeStop' || point.when !== 'after') return false;
      placements++;
      if (placements === 10) startSurvivors();
      return placements === 30; // that order is on the venue; its answer (and all else) waits
    });
    const sleeper = bot('bot-0', { clock, leaseMs }, { crash: pause });
    const survivors = [1, 2].map((index) => bot(`bot-${index}`, { clock, leaseMs, claimPollMs: 10 }));
    const sleeperWave = sleeper.createMany(keys.map((key) => longSpec(key)));
    await survivorsMayStart;
    const waves = survivors.map((registry) => registry.createMany(keys.map((key) => longSpec(key))));
    await until(() => pause.paused);
    await settle(admin, schema, 'bot-0');

    // Its leases expire while it sleeps; the others take its claims over.
    clock.advance(leaseMs);
    if (when === 'after') {
      for (const wave of await Promise.all(waves)) expect(wave.filter((result) => result.status === 'rejected')).toEqual([]);
      await Promise.all(survivors.map((registry) => registry.onIdle()));
      await expectOneOrderPerKey();
    }
    if (when === 'while') {
      // Wake it up as soon as one of its claims is someone else's, before they are finished.
      const adminStore = new PostgresStateStore({ client: admin, schema });
      const takenOver = async () => (await adminStore.list()).some((record) => record.state === 'pending' && record.owner !== 'bot-0');
      for (let round = 0; round < 2_000 && !(await takenOver()); round++) await new Promise((resolve) => setImmediate(resolve));
    }
    // It wakes up: every answer it was waiting for arrives late, every write it tries is stale.
    pause.resume();
    for (const wave of await Promise.all(waves)) expect(wave.filter((result) => result.status === 'rejected')).toEqual([]);
    const late = await sleeperWave;
    await Promise.all([sleeper, ...survivors].map((registry) => registry.onIdle()));
    expect(late.filter((result) => result.status === 'rejected')).toEqual([]);
    const stored = await expectOneOrderPerKey();
    expectSameView([sleeper, ...survivors], stored);
    for (const registry of [sleeper, ...survivors]) await registry.close();
  }

  it('a registry pauses mid-wave past its leases and wakes up after the others took its claims over: still one order per key', () =>
    pausedWave('after'));

  it('a registry pauses mid-wave past its leases and wakes up while the others take its claims over: still one order per key', () =>
    pausedWave('while'));

  it('two registries that both hold the same stops and both get prices keep every stop trailing, one order each', async () => {
    // After restore() every process holds every stop; a bot that feeds prices for all symbols
    // then moves the same stops as another one. Compare-and-set arbitrates every move.
    const symbols = keys.slice(0, 20);
    const registries = [0, 1].map((index) => bot(`bot-${index}`, { minUpdateIntervalMs: 0 }));
    await Promise.all(registries.map((registry) => registry.createMany(symbols.map((symbol) => longSpec(symbol)))));
    const failed: string[] = [];
    for (const registry of registries) registry.on('failed', (event) => failed.push(`${registry.owner}:${event.stop.key}: ${event.error.message}`));
    for (let step = 0; step < 20; step++) {
      for (const symbol of symbols) {
        registries[0]!.updatePrice(symbol, 101 + step * 1.3);
        await new Promise((resolve) => setTimeout(resolve, 0));
        registries[1]!.updatePrice(symbol, 101.2 + step * 1.3);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(registries.map((registry) => registry.onIdle()));
    await Promise.all(registries.map((registry) => registry.reconcile()));
    await Promise.all(registries.map((registry) => registry.onIdle()));

    expect(failed).toEqual([]);
    const stored = await records();
    const live = venue.liveOrders();
    expect(live).toHaveLength(symbols.length);
    for (const symbol of symbols) {
      const record = stored.get(symbol)!;
      expect(record.state, `state of ${symbol}`).toBe('active');
      expect(live.filter((order) => order.symbol === symbol).map((order) => order.id), `live orders of ${symbol}`).toEqual([record.order?.id]);
      for (const registry of registries) expect(registry.get(symbol)?.order?.id, `${registry.owner} sees ${symbol}`).toBe(record.order?.id);
    }
    for (const registry of registries) await registry.close();
  });

  it('4 real processes creating the same 200 keys at once: 200 live orders, no orphan, one view', async () => {
    await new PostgresStateStore({ client: admin, schema }).migrate();
    const childPath = fileURLToPath(new URL('../support/child-registry.ts', import.meta.url));
    const children: ChildProcess[] = [];
    const results: Extract<ChildMessage, { kind: 'result' }>[] = [];
    try {
      const ready: Promise<void>[] = [];
      const done: Promise<void>[] = [];
      for (let index = 0; index < 4; index++) {
        const child = fork(childPath, [], {
          execPath: process.execPath,
          execArgv: ['--import', 'tsx'],
          cwd: fileURLToPath(new URL('../..', import.meta.url)),
          env: { ...process.env, DATABASE_URL: databaseUrl, TSR_SCHEMA: schema, TSR_OWNER: `proc-${index}` },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        serveVenue(child, venue);
        ready.push(waitForMessage(child, 'ready').then(() => undefined));
        done.push(
          waitForMessage(child, 'result').then((message) => {
            results.push(message as Extract<ChildMessage, { kind: 'result' }>);
          }),
        );
      }
      await Promise.all(ready);
      const go: GoMessage = { kind: 'go', keys };
      for (const child of children) child.send(go);
      await Promise.all(done);
      await Promise.all(children.map((child) => exited(child)));
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
    }

    for (const result of results) expect(result.failures, `failures in ${result.owner}`).toEqual([]);
    const stored = await expectOneOrderPerKey();
    for (const result of results) {
      expect(result.stops).toHaveLength(keyCount);
      for (const stop of result.stops) {
        const record = stored.get(stop.key)!;
        expect({ owner: result.owner, key: stop.key, positionId: stop.positionId, order: stop.orderId }).toEqual({
          owner: result.owner,
          key: stop.key,
          positionId: record.positionId,
          order: record.order?.id,
        });
      }
    }
    expect(results.reduce((sum, result) => sum + result.created, 0)).toBe(keyCount);
    expect(results.reduce((sum, result) => sum + result.created + result.adopted, 0)).toBe(4 * keyCount);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let spin = 0; spin < 10_000 && !condition(); spin++) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(condition()).toBe(true);
}

/**
 * Waits until the store stops changing, apart from the dead owner's claims: every other registry
 * finished what it could and now waits on those claims' leases.
 */
async function settle(pool: pg.Pool, schema: string, deadOwner: string): Promise<void> {
  const store = new PostgresStateStore({ client: pool, schema });
  let previous = '';
  let stableRounds = 0;
  for (let round = 0; round < 2_000 && stableRounds < 5; round++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const list = await store.list();
    const busy = list.some((record) => record.state === 'pending' && record.owner !== deadOwner);
    const signature = list.map((record) => `${record.key}@${record.version}`).sort().join(',');
    stableRounds = !busy && signature === previous ? stableRounds + 1 : 0;
    previous = signature;
  }
  expect(stableRounds, 'the store settled').toBe(5);
}

function waitForMessage(child: ChildProcess, kind: 'ready' | 'result'): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message?.kind === 'fatal') reject(new Error(`${message.owner} failed: ${message.message}`));
      if (message?.kind !== kind) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before sending ${kind}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
