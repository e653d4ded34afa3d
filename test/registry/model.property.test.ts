/**
 * Model-based test (fast-check commands): random sequences on a few keys, each run to quiescence
 * on virtual time (test/support/venue-clock.ts: answers beat timeouts, waits such as
 * `confirmTriggerMs` pass in virtual ms). Commands: create, price moves (the venue sees the price
 * first and fills what it crosses), resize, remove, and what the venue does on its own: a fill the
 * registry hears from the order stream, is handed, or only infers from its price feed and confirms
 * by lookup; a partial fill; a cancel or an expiry by hand; a wick of the fed price across the stop
 * that the venue (triggering on the mark price) never sees; and a restart (a new registry on the
 * same store and venue, `restore()`), with a fill or a cancel the venue made while nobody listened.
 *
 * After every command: exactly one live order per live stop, holding its price and what is left of
 * its quantity, and none for ended or removed ones (I2); a stop ends only when the venue filled it
 * (or by removal): every `triggered` event has source `venue`, once per position the venue filled,
 * never for a position it did not; a record the venue's fill ended is gone; memory agrees with the
 * store (I4); the stop never loosened (I5); one order-stream subscription; no `error` event.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  type OrderLostEvent,
  type OrderUpdate,
  type ReconcileEvent,
  type TrailingStopRegistryOptions,
  type TriggeredEvent,
} from '../../src/index.js';
import { VirtualClock, drive, settle } from '../support/venue-clock.js';
import { seededRandom } from '../support/campaign-scheduler.js';

const keys = ['BTC', 'ETH', 'SOL'] as const;
type Key = (typeof keys)[number];

/** First wait for the venue's word after the feed crossed a stop; also the grace of a cancel by hand. */
const confirmTriggerMs = 20;

/** What the registry must hold for a key: a live stop, or one the venue's fill ended. */
interface Expectation {
  /** `filled`: the venue filled it while a registry listened; `finalized`: while none did (found at restore). */
  state: 'live' | 'filled' | 'finalized';
  readonly positionId: string;
}

/** What the model tracks per key. */
interface Model {
  readonly stops: Map<Key, Expectation>;
  readonly onExternalCancel: 'replace' | 'release';
}

interface World {
  registry: TrailingStopRegistry;
  readonly venue: PaperExchange;
  readonly store: MemoryStateStore;
  readonly clock: VirtualClock;
  /** Options of every registry of this run (a restart builds the next one from them). */
  readonly options: TrailingStopRegistryOptions;
  /** Last market price per key (the venue's). */
  readonly prices: Map<Key, number>;
  /** Tightest stop seen per position, to check I5. */
  readonly tightest: Map<string, number>;
  /** Base units executed so far per venue order (partial fills), booked as the venue books them. */
  readonly executed: Map<string, number>;
  /** Venue orders that had partly executed when a registry restarted (see the regression test at the end). */
  readonly executedBeforeRestart: Set<string>;
  /** Positions whose order the venue filled while a registry listened: one `triggered` each. */
  readonly filledWhileRunning: Set<string>;
  /** Positions whose order the venue filled while no registry ran: found by restore. */
  readonly filledWhileDown: Set<string>;
  /** `triggered` events per position id, across every registry of the run. */
  readonly triggered: Map<string, TriggeredEvent[]>;
  readonly orderLost: OrderLostEvent[];
  readonly reconciled: ReconcileEvent[];
  readonly errors: Error[];
  /** True once a registry subscribed to the venue's order stream (first create or restore). */
  subscribed: boolean;
}

/** How often each command did what it exists for, across all runs (the test must not be vacuous). */
const coverage = new Map<string, number>();
const covered = (what: string) => coverage.set(what, (coverage.get(what) ?? 0) + 1);

/** The venue's price grid: prices below `price` by `percent`, rounded down to 0.01. */
const below = (price: number, percent: number) => Math.floor(price * (1 - percent / 100) * 100) / 100;

function makeRegistry(world: Omit<World, 'registry'>): TrailingStopRegistry {
  const registry = new TrailingStopRegistry(world.options);
  registry.on('triggered', (event) => {
    const list = world.triggered.get(event.stop.positionId) ?? [];
    list.push(event);
    world.triggered.set(event.stop.positionId, list);
  });
  registry.on('orderLost', (event) => world.orderLost.push(event));
  registry.on('reconciled', (event) => world.reconciled.push(event));
  registry.on('error', ({ error }) => world.errors.push(error));
  return registry;
}

async function quiesce(world: World): Promise<void> {
  await settle(world, () => world.registry.onIdle());
}

/**
 * The live stop of `key` with its order (the model says it is live), and that order as the venue
 * holds it: `placed.quantity` is the quantity it was placed with, whatever executed since.
 */
function liveStop(world: World, key: Key) {
  const stop = world.registry.get(key);
  expect(stop?.state === 'waiting' || stop?.state === 'active', `a live stop for ${key}`).toBe(true);
  expect(stop!.order, `the live stop for ${key} has an order`).not.toBeNull();
  const order = stop!.order!;
  const placed = world.venue.liveOrders(key).find((live) => live.id === order.id);
  expect(placed, `the venue holds ${key}'s order`).toBeDefined();
  return { stop: stop!, order, placed: placed! };
}

async function checkInvariants(world: World, model: Model): Promise<void> {
  const { registry, venue, store, tightest } = world;
  expect(world.errors, 'no error event').toEqual([]);
  expect(venue.watchers, 'one order-stream subscription').toBe(world.subscribed ? 1 : 0);
  for (const key of keys) {
    const expected = model.stops.get(key);
    const stop = registry.get(key);
    const record = await store.load(key);
    const live = venue.liveOrders(key);
    expect(stop !== undefined, `registry holds ${key} iff the model does`).toBe(expected !== undefined);
    if (stop === undefined || expected === undefined) {
      expect(record, `no record for ${key}`).toBeUndefined();
      expect(live, `no live order for ${key}`).toHaveLength(0);
      continue;
    }
    expect(stop.positionId).toBe(expected.positionId);
    if (expected.state === 'live') {
      expect(['waiting', 'active'], `state of ${key}`).toContain(stop.state);
      // I2 and convergence: exactly the policy's stop rests on the venue, for what is left.
      expect(live, `live orders for ${key}`).toHaveLength(1);
      expect(live[0]!.id).toBe(stop.order?.id);
      expect(live[0]!.stopPrice).toBe(stop.stopPrice);
      expect(live[0]!.quantity - (world.executed.get(live[0]!.id) ?? 0), `what is left of ${key}'s order`).toBe(stop.quantity);
      // I4: memory and store agree.
      expect(record?.version).toBe(stop.version);
      expect(record?.order?.id ?? null).toBe(stop.order?.id ?? null);
      expect(record?.state).toBe(stop.state);
      expect(record?.quantity).toBe(stop.quantity);
    } else {
      // Ended by the venue's fill: triggered, nothing left on the venue.
      expect(stop.state, `${key} ended by the venue's fill`).toBe('triggered');
      expect(live, `an ended stop leaves nothing on the venue (${key})`).toHaveLength(0);
      if (expected.state === 'filled') {
        expect(record, `the record of a stop the venue filled is deleted at once (${key})`).toBeUndefined();
      } else {
        expect(record?.state).toBe('triggered');
        expect(record?.version).toBe(stop.version);
      }
    }
    // I5: never looser than before, for this position.
    const id = `${key}:${stop.positionId}`;
    const before = tightest.get(id);
    if (before !== undefined && stop.stopPrice !== null) expect(stop.stopPrice).toBeGreaterThanOrEqual(before);
    if (stop.stopPrice !== null) tightest.set(id, Math.max(before ?? 0, stop.stopPrice));
  }
  // A stop ends only when the venue says it filled: once per filled position, source venue, never otherwise.
  for (const [positionId, events] of world.triggered) {
    expect(world.filledWhileRunning.has(positionId) || world.filledWhileDown.has(positionId), `position ${positionId} triggered without a fill`).toBe(true);
    expect(events, `triggered events of position ${positionId}`).toHaveLength(1);
    expect(events[0]!.source).toBe('venue');
  }
  for (const positionId of world.filledWhileRunning) {
    expect(world.triggered.get(positionId) ?? [], `the venue filled position ${positionId}: one triggered event`).toHaveLength(1);
  }
}

/** Records that the venue filled `key`'s stop while a registry listened. */
function venueFilled(world: World, model: Model, key: Key): void {
  const expectation = model.stops.get(key)!;
  expectation.state = 'filled';
  world.filledWhileRunning.add(expectation.positionId);
}

type Command = fc.AsyncCommand<Model, World>;

const isLive = (model: Readonly<Model>, key: Key) => model.stops.get(key)?.state === 'live';

class Create implements Command {
  constructor(
    readonly key: Key,
    /** Remove an ended stop first, or create over it (an ended stop must never block). */
    readonly removeEnded: boolean,
  ) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    const { registry } = world;
    const existing = registry.get(this.key);
    if (existing !== undefined && existing.state === 'triggered') {
      if (this.removeEnded) {
        expect(await drive(world, registry.remove(this.key))).toBe(true);
        model.stops.delete(this.key);
      } else {
        covered('create over an ended stop');
      }
    }
    const price = world.prices.get(this.key) ?? 100;
    world.prices.set(this.key, price);
    world.venue.setPrice(this.key, price);
    const spec = { symbol: this.key, side: 'long', entryPrice: price, quantity: 1, stopLossPercent: 2, tickSize: 0.01 } as const;
    const live = registry.get(this.key);
    if (live !== undefined && (live.state === 'waiting' || live.state === 'active') && (live.entryPrice !== price || live.quantity !== 1)) {
      // Another position's spec for a key with a live stop: refused, never answered with the old stop.
      const errorsBefore = world.errors.length;
      await expect(drive(world, registry.create(spec))).rejects.toMatchObject({ code: 'ERR_STOP_CONFLICT' });
      // Reported as every failed creation is (I6): that error event is this one.
      expect(world.errors.splice(errorsBefore)).toEqual([expect.objectContaining({ code: 'ERR_STOP_CONFLICT' })]);
    } else {
      const stop = await drive(world, registry.create(spec));
      if (live !== undefined && (live.state === 'waiting' || live.state === 'active')) expect(stop).toBe(live);
      model.stops.set(this.key, { state: 'live', positionId: stop.positionId });
    }
    world.subscribed = true;
    await quiesce(world);
    await checkInvariants(world, model);
  }
  toString = () => `create(${this.key}${this.removeEnded ? '' : ', over ended'})`;
}

class MovePrice implements Command {
  constructor(
    readonly key: Key,
    readonly percent: number,
  ) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    const price = Number(((world.prices.get(this.key) ?? 100) * (1 + this.percent / 100)).toFixed(2));
    world.prices.set(this.key, price);
    const stop = world.registry.get(this.key);
    // The venue sees the price first and fills what it crosses, as a real one would.
    const filled = world.venue.setPrice(this.key, price);
    if (filled.length > 0) {
      expect(filled.map((order) => order.id), `the venue filled only ${this.key}'s stop order`).toEqual([stop?.order?.id]);
      venueFilled(world, model, this.key);
      covered('price move filled by the venue');
    }
    world.registry.updatePrice(this.key, price);
    await quiesce(world);
    await checkInvariants(world, model);
  }
  toString = () => `price(${this.key}, ${this.percent.toFixed(2)}%)`;
}

class Resize implements Command {
  constructor(
    readonly key: Key,
    readonly quantity: number,
  ) {}
  check = (model: Readonly<Model>) => isLive(model, this.key);
  async run(model: Model, world: World): Promise<void> {
    const { placed } = liveStop(world, this.key);
    // The case of the regression test at the end: back to the quantity of an order that partly
    // executed before a restart.
    if (world.executedBeforeRestart.has(placed.id) && placed.quantity === this.quantity) covered('resize back after a partial fill and a restart');
    await drive(world, world.registry.resize(this.key, this.quantity));
    await quiesce(world);
    await checkInvariants(world, model);
  }
  toString = () => `resize(${this.key}, ${this.quantity})`;
}

class Remove implements Command {
  constructor(readonly key: Key) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    expect(await drive(world, world.registry.remove(this.key))).toBe(model.stops.has(this.key));
    model.stops.delete(this.key);
    await quiesce(world);
    await checkInvariants(world, model);
  }
  toString = () => `remove(${this.key})`;
}

/** How the registry learns of a fill: the stream, the bot's hand, only its price feed, or twice. */
type FillRoute = 'stream' | 'handed' | 'feed-only' | 'stream-and-feed' | 'stream-and-handed';

/** The venue's price crosses the stop (its mark price, say), whether or not the registry's feed sees it. */
class VenueFill implements Command {
  constructor(
    readonly key: Key,
    readonly percent: number,
    readonly route: FillRoute,
  ) {}
  check = (model: Readonly<Model>) => isLive(model, this.key);
  async run(model: Model, world: World): Promise<void> {
    const { venue, registry } = world;
    const { order } = liveStop(world, this.key);
    const price = below(order.stopPrice, this.percent);
    world.prices.set(this.key, price);
    expect(venue.setPrice(this.key, price).map((filled) => filled.id)).toEqual([order.id]);
    venueFilled(world, model, this.key);
    const isFill = (update: OrderUpdate) => update.id === order.id && update.status === 'filled';
    if (this.route === 'handed' || this.route === 'feed-only') {
      // The stream lost it: the bot hands it in, or the registry only sees its own price feed.
      const [fill] = venue.dropUpdates(isFill);
      expect(fill).toBeDefined();
      if (this.route === 'handed') expect(registry.handleOrderUpdate(fill!)).toBe(true);
    }
    if (this.route === 'stream-and-handed') expect(registry.handleOrderUpdate(venue.pendingUpdates().find(isFill)!)).toBe(true);
    if (this.route === 'feed-only' || this.route === 'stream-and-feed') registry.updatePrice(this.key, price);
    covered(`venue fill (${this.route})`);
    await quiesce(world);
    await checkInvariants(world, model);
  }
  toString = () => `venueFill(${this.key}, -${this.percent}%, ${this.route})`;
}

/** The venue executes part of the stop order (a thin book); the order stays open with the rest. */
class PartialFill implements Command {
  constructor(
    readonly key: Key,
    readonly fraction: 0.25 | 0.5,
  ) {}
  check = (model: Readonly<Model>) => isLive(model, this.key);
  async run(model: Model, world: World): Promise<void> {
    const { stop, placed } = liveStop(world, this.key);
    const executed = world.executed.get(placed.id) ?? 0;
    const quantity = (placed.quantity - executed) * this.fraction;
    expect(world.venue.fillPartially(placed.id, quantity)).toBe(true);
    // As the venue books it (dyadic fractions of whole quantities: exact in binary).
    world.executed.set(placed.id, executed + quantity);
    covered('partial fill');
    await quiesce(world);
    expect(stop.quantity, `${this.key} protects what is left`).toBe(placed.quantity - executed - quantity);
    await checkInvariants(world, model);
  }
  toString = () => `partialFill(${this.key}, ${this.fraction} of what is left)`;
}

/** Someone cancels the stop order in the venue's web page, or the venue expires it. */
class CancelByHand implements Command {
  constructor(
    readonly key: Key,
    readonly how: 'cancel' | 'expire',
    readonly handed: boolean,
  ) {}
  check = (model: Readonly<Model>) => isLive(model, this.key);
  async run(model: Model, world: World): Promise<void> {
    const { venue, registry } = world;
    const { order } = liveStop(world, this.key);
    const lostBefore = world.orderLost.length;
    expect(this.how === 'cancel' ? venue.cancelByHand(order.id) : venue.expire(order.id)).toBe(true);
    if (this.handed) {
      const [update] = venue.dropUpdates((held) => held.id === order.id && held.status !== 'open');
      expect(registry.handleOrderUpdate(update!)).toBe(true);
    }
    await quiesce(world);
    const status = this.how === 'cancel' ? 'cancelled' : 'expired';
    if (model.onExternalCancel === 'replace') {
      // Repaired at once, under a fresh client order id.
      const { order: again } = liveStop(world, this.key);
      expect(again.clientOrderId).not.toBe(order.clientOrderId);
      expect(world.orderLost.slice(lostBefore)).toEqual([expect.objectContaining({ status, action: 'replaced' })]);
      covered('cancel by hand, replaced');
    } else {
      expect(registry.has(this.key)).toBe(false);
      expect(world.orderLost.slice(lostBefore)).toEqual([expect.objectContaining({ status, action: 'released' })]);
      model.stops.delete(this.key);
      covered('cancel by hand, released');
    }
    await checkInvariants(world, model);
  }
  toString = () => `${this.how}ByHand(${this.key}${this.handed ? ', handed in' : ''})`;
}

/**
 * The fed price (the last price) wicks across the stop while the venue, triggering on the mark
 * price, never sees it; then the price comes back. The stop must not end, must not move while the
 * registry asks the venue, and must trail on afterwards.
 */
class MarkWick implements Command {
  constructor(
    readonly key: Key,
    readonly percent: number,
    /** Virtual ms the wick lasts: before any lookup, or across one or several. */
    readonly holdMs: number,
  ) {}
  check = (model: Readonly<Model>) => isLive(model, this.key);
  async run(model: Model, world: World): Promise<void> {
    const { registry, venue } = world;
    const { stop, order } = liveStop(world, this.key);
    const state = stop.state;
    const stopPrice = stop.stopPrice!;
    const triggeredBefore = world.triggered.get(stop.positionId)?.length ?? 0;
    const price = world.prices.get(this.key)!;
    registry.updatePrice(this.key, below(stopPrice, this.percent));
    if (this.holdMs > 0) {
      await drive(world, world.clock.sleep(this.holdMs));
      expect(stop.state, 'the wick alone ends nothing').toBe(state);
      expect(venue.liveOrders(this.key).map((live) => live.id), 'no move while the venue is asked').toEqual([order.id]);
    }
    registry.updatePrice(this.key, price);
    await quiesce(world);
    expect(stop.state, 'the venue did not fill: the stop goes on').toBe(state);
    // Its order stays, unless the resumed sync had a quantity to catch up (after a restart the
    // registry no longer knows what of its order executed): then the invariants check the new one.
    if (stop.order?.id !== order.id) covered('mark wick, resumed sync caught up');
    expect(world.triggered.get(stop.positionId)?.length ?? 0, 'no triggered event for a wick').toBe(triggeredBefore);
    await checkInvariants(world, model);
    // It trails on: a rally past the best price (and the activation) moves the stop.
    const rally = Number((Math.max(price, stop.bestPrice ?? 0, stop.entryPrice * 1.01) * 1.02).toFixed(2));
    world.prices.set(this.key, rally);
    venue.setPrice(this.key, rally);
    registry.updatePrice(this.key, rally);
    await quiesce(world);
    expect(stop.stopPrice!, 'the stop trails on after the wick').toBeGreaterThan(stopPrice);
    covered(`mark wick (held ${this.holdMs} ms)`);
    await checkInvariants(world, model);
  }
  toString = () => `markWick(${this.key}, -${this.percent}%, ${this.holdMs} ms)`;
}

/** The bot restarts: the registry closes, the venue may act while nobody listens, a new one restores. */
class Restart implements Command {
  constructor(
    readonly missed: 'none' | 'fill' | 'cancel',
    readonly key: Key,
  ) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    const { venue } = world;
    const previous = world.registry;
    await drive(world, previous.close());
    for (const [id, executed] of world.executed) if (executed > 0) world.executedBeforeRestart.add(id);
    expect(venue.watchers, 'close() ends the subscription').toBe(0);
    const expectation = model.stops.get(this.key);
    const missed = expectation?.state === 'live' ? this.missed : 'none';
    if (missed !== 'none') {
      const { order } = liveStop(world, this.key);
      if (missed === 'fill') {
        const price = below(order.stopPrice, 1);
        world.prices.set(this.key, price);
        expect(venue.setPrice(this.key, price).map((filled) => filled.id)).toEqual([order.id]);
        expectation!.state = 'finalized';
        world.filledWhileDown.add(expectation!.positionId);
      } else {
        expect(venue.cancelByHand(order.id)).toBe(true);
      }
    }
    // Nobody listened: a new subscription does not hear what happened before it.
    venue.dropUpdates();
    // Stops the venue's fill ended have no record: the new registry starts without them.
    for (const [key, held] of model.stops) if (held.state === 'filled') model.stops.delete(key);
    const reconciledBefore = world.reconciled.length;
    world.registry = makeRegistry(world);
    world.subscribed = true;
    const current: Record<string, number> = {};
    for (const key of model.stops.keys()) current[key] = world.prices.get(key)!;
    const report = await drive(world, world.registry.restore({ prices: current }));
    expect(report.corrupt).toEqual([]);
    await quiesce(world);
    const actions = world.reconciled.slice(reconciledBefore).filter((event) => event.key === this.key).map((event) => event.action);
    if (missed === 'fill') {
      expect(actions, 'a fill made while nobody listened is found at restore').toContain('finalized');
      covered('restart after a fill nobody heard');
    }
    if (missed === 'cancel') {
      expect(actions, 'a cancel made while nobody listened is repaired at restore').toContain('replaced');
      covered('restart after a cancel nobody heard');
    }
    if (missed === 'none') covered('restart');
    await checkInvariants(world, model);
  }
  toString = () => `restart(${this.missed === 'none' ? '' : `missed ${this.missed} of ${this.key}`})`;
}

const key = fc.constantFrom(...keys);
const percent = fc.integer({ min: 1, max: 300 }).map((hundredths) => hundredths / 100);
const create = fc.tuple(key, fc.boolean()).map(([value, removeEnded]) => new Create(value, removeEnded));
// Hundredths of a percent, -3 % to +3 % (fc.double leans on tiny values: the price would hardly move).
const change = fc.integer({ min: -300, max: 300 }).map((hundredths) => hundredths / 100);
const movePrice = fc.tuple(key, change).map(([value, by]) => new MovePrice(value, by));
const commands = fc.commands(
  [
    // Creations and price moves twice as often as the rest: most venue actions need a live stop.
    create,
    create,
    movePrice,
    movePrice,
    fc.tuple(key, fc.integer({ min: 1, max: 5 })).map(([value, quantity]) => new Resize(value, quantity)),
    key.map((value) => new Remove(value)),
    fc
      .tuple(key, percent, fc.constantFrom<FillRoute>('stream', 'handed', 'feed-only', 'stream-and-feed', 'stream-and-handed'))
      .map(([value, depth, route]) => new VenueFill(value, depth, route)),
    fc.tuple(key, fc.constantFrom(0.25 as const, 0.5 as const)).map(([value, fraction]) => new PartialFill(value, fraction)),
    fc.tuple(key, fc.constantFrom('cancel' as const, 'expire' as const), fc.boolean()).map(([value, how, handed]) => new CancelByHand(value, how, handed)),
    fc
      .tuple(key, percent, fc.constantFrom(0, confirmTriggerMs / 2, confirmTriggerMs * 3, confirmTriggerMs * 40))
      .map(([value, depth, holdMs]) => new MarkWick(value, depth, holdMs)),
    fc.tuple(fc.constantFrom('none' as const, 'fill' as const, 'cancel' as const), key).map(([missed, value]) => new Restart(missed, value)),
  ],
  { maxCommands: 40, size: 'medium' },
);


/** A fresh world: a paper venue holding its order updates back, a memory store, virtual time. */
function makeWorld(onExternalCancel: 'replace' | 'release', seed: number): World {
  const clock = new VirtualClock();
  // Order updates wait until the world is driven: a command can lose one, or hand it in itself.
  const venue = new PaperExchange({ amend: false, clock, orderUpdates: 'manual' });
  const store = new MemoryStateStore();
  const options: TrailingStopRegistryOptions = {
    placer: venue,
    store,
    clock,
    owner: 'bot',
    // Seeded, so a run's position ids and jitter replay exactly.
    random: seededRandom(seed),
    activationPercent: 1,
    callbackPercent: 1,
    minUpdateIntervalMs: 0,
    minImprovementPercent: 0,
    confirmTriggerMs,
    onExternalCancel,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
  };
  const parts = {
    venue,
    store,
    clock,
    options,
    prices: new Map<Key, number>(),
    tightest: new Map<string, number>(),
    executed: new Map<string, number>(),
    executedBeforeRestart: new Set<string>(),
    filledWhileRunning: new Set<string>(),
    filledWhileDown: new Set<string>(),
    triggered: new Map<string, TriggeredEvent[]>(),
    orderLost: [],
    reconciled: [],
    errors: [],
    subscribed: false,
  };
  return { ...parts, registry: makeRegistry(parts) };
}

/** Runs `sequence` on a fresh world, then closes its registry. */
async function runSequence(sequence: Iterable<Command>, onExternalCancel: 'replace' | 'release', seed: number): Promise<void> {
  const world = makeWorld(onExternalCancel, seed);
  await fc.asyncModelRun(() => ({ model: { stops: new Map(), onExternalCancel }, real: world }), sequence);
  await drive(world, world.registry.close());
}

describe('registry model', () => {
  it('keeps I2, I4, I5, convergence and venue truth across random sequences of bot and venue actions', async () => {
    await fc.assert(
      fc.asyncProperty(commands, fc.constantFrom('replace' as const, 'release' as const), fc.integer(), (sequence, onExternalCancel, seed) =>
        runSequence(sequence, onExternalCancel, seed),
      ),
      { numRuns: 400 },
    );
    // Each kind of venue action happened, and did what it exists for, in some run.
    for (const what of [
      'price move filled by the venue',
      'venue fill (stream)',
      'venue fill (handed)',
      'venue fill (feed-only)',
      'venue fill (stream-and-feed)',
      'venue fill (stream-and-handed)',
      'partial fill',
      'cancel by hand, replaced',
      'cancel by hand, released',
      'mark wick (held 0 ms)',
      `mark wick (held ${confirmTriggerMs * 40} ms)`,
      'restart',
      'restart after a fill nobody heard',
      'restart after a cancel nobody heard',
      'create over an ended stop',
    ]) {
      expect(coverage.get(what) ?? 0, what).toBeGreaterThan(0);
    }
  });

  /*
   * Found by the property above (shrunk), fixed since by reconciliation finishing quantity
   * mismatches (campaign finding N13): a partial fill leaves the order open with the rest and the
   * stop shrinks to it; the record keeps the order as placed (1) and the stop's quantity (0.75). A
   * restarted registry took the order for its whole quantity, so `resize(key, 1)` (the position
   * grew back) placed nothing and the position of 1 rested on an order with 0.75 left.
   */
  it('after a partial fill and a restart, resize() back to the order quantity is placed (regression)', async () => {
    await runSequence([new Create('BTC', true), new PartialFill('BTC', 0.25), new Restart('none', 'BTC'), new Resize('BTC', 1)], 'replace', 0);
  });
});
