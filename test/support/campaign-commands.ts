/**
 * The fault campaign's commands, as plain data (so a counterexample prints as a list that a replay
 * test pastes back), their generators, and what each does to the world. Operations start without
 * being awaited, so every operation between two `settle` commands runs concurrently under the
 * scheduler; `settle` drives the world to quiescence and checks every invariant.
 */
import type { Excuse } from './campaign-open-defects.js';
import fc from 'fast-check';
import type { CreateStopSpec } from '../../src/index.js';
import { hasErrorCode } from '../../src/index.js';
import {
  placerFaultKinds,
  storeFaultKinds,
  type PlacerFault,
  type PlacerFaultRule,
  type StoreFault,
  type StoreFaultRule,
} from '../../src/testing/index.js';
import { checkAlways, checkOperations, checkQuiescence } from './campaign-checks.js';
import { campaignKeys, type CampaignKey, type CampaignSetup, type Incarnation, type SlotFaults, type World } from './campaign-world.js';

/** A valid position to protect; prices come from the world when the command runs. */
export interface SpecChoice {
  readonly side: 'long' | 'short';
  readonly quantity: number;
  /** Initial stop in percent of entry; `null`: none, the stop waits for activation. */
  readonly stopLossPercent: number | null;
  /** `null`: the registry generates one per opening. */
  readonly positionId: 'p1' | 'p2' | null;
}

/** Kinds of bad input a creation may get (I8). */
export const invalidSpecKinds = [
  'nan-entry',
  'zero-entry',
  'negative-quantity',
  'infinite-quantity',
  'empty-symbol',
  'unknown-side',
  'stop-loss-out-of-range',
  'unknown-field',
] as const;

/** One kind of bad input. */
export type InvalidSpec = (typeof invalidSpecKinds)[number];

/** One creation of a `create` or `createMany` command. */
export type CreateItem = { readonly key: CampaignKey; readonly spec: SpecChoice } | { readonly key: CampaignKey; readonly invalid: InvalidSpec };

/** One command of the campaign. Slots are taken modulo the number of registries. */
export type CommandData =
  | { readonly op: 'create'; readonly slot: number; readonly item: CreateItem }
  | { readonly op: 'createMany'; readonly slot: number; readonly items: readonly CreateItem[] }
  /** The market moves by `percent` (a gap beyond 5 %); `stale` also sends registries an older tick. */
  | { readonly op: 'price'; readonly key: CampaignKey; readonly percent: number; readonly stale: boolean }
  | { readonly op: 'resize'; readonly slot: number; readonly key: CampaignKey; readonly quantity: number }
  | { readonly op: 'remove'; readonly slot: number; readonly key: CampaignKey }
  | { readonly op: 'restore'; readonly slot: number }
  | { readonly op: 'reconcile'; readonly slot: number }
  /** The registry dies at its `afterCalls`-th port call from now (`before` it leaves or `after` it took effect); 0: at once. */
  | { readonly op: 'crash'; readonly slot: number; readonly afterCalls: number; readonly when: 'before' | 'after' }
  /** A crashed or closed registry starts again (`restore()`); a live one is closed first. */
  | { readonly op: 'restart'; readonly slot: number }
  | { readonly op: 'close'; readonly slot: number }
  /** Someone cancels the key's live order on the venue's web page. */
  | { readonly op: 'cancelByHand'; readonly key: CampaignKey }
  | { readonly op: 'settle' };

/** Command names, for profiles. */
export type CommandName = CommandData['op'];

/** A whole run as data: the world and the commands. */
export interface CampaignInput extends CampaignSetup {
  readonly commands: readonly CommandData[];
}

/**
 * What a property generates: which commands (by weight; absent or 0: never), which faults, how
 * many registries, how long. The full campaign uses {@link fullProfile}; teeth and focused
 * properties narrow it.
 */
export interface CampaignProfile {
  readonly commands: Partial<Record<CommandName, number>>;
  readonly placerFaults: readonly PlacerFault['kind'][];
  readonly storeFaults: readonly StoreFault['kind'][];
  /** Most fault rules per slot, for the placer and for the store. */
  readonly rulesPerSlot: { readonly placer: number; readonly store: number };
  readonly registries: { readonly min: number; readonly max: number };
  readonly stores: readonly CampaignSetup['store'][];
  readonly amend: readonly boolean[];
  /** How time passes, by weight. */
  readonly time: { readonly idle: number; readonly race: number };
  /** Whether the venue streams order updates. */
  readonly stream: readonly boolean[];
  /** Whether the store's change feed reaches the registries. */
  readonly watch: readonly boolean[];
  readonly maxCommands: number;
  /** Invalid specs among creations, in percent. */
  readonly invalidPercent: number;
  /** Problems matching it are not reported: an open defect with its own replay test. */
  readonly excuse?: Excuse;
  /** Every creation asks for the same position shape (a long of 1, 2 % stop, no position id). */
  readonly uniformSpecs?: boolean;
  /** Which calls fault rules name: operations (default: all, placements weighted) and the highest call number (default 8). */
  readonly faultTargets?: { readonly placer?: readonly string[]; readonly store?: readonly string[]; readonly maxCall?: number };
}

/** Everything, as the issue lists it. */
export const fullProfile: CampaignProfile = {
  commands: {
    create: 6,
    createMany: 2,
    price: 7,
    resize: 2,
    remove: 3,
    restore: 1,
    reconcile: 2,
    crash: 1,
    restart: 1,
    close: 1,
    cancelByHand: 1,
    settle: 5,
  },
  placerFaults: placerFaultKinds,
  storeFaults: storeFaultKinds,
  rulesPerSlot: { placer: 4, store: 3 },
  registries: { min: 2, max: 3 },
  stores: ['memory', 'sqlite'],
  amend: [false, true],
  time: { idle: 3, race: 1 },
  stream: [true, false],
  watch: [true, false],
  maxCommands: 40,
  invalidPercent: 10,
};

const specChoice: fc.Arbitrary<SpecChoice> = fc.record({
  side: fc.constantFrom('long' as const, 'short' as const),
  quantity: fc.constantFrom(1, 2, 3),
  stopLossPercent: fc.option(fc.constantFrom(1, 2, 5), { nil: null, freq: 5 }),
  positionId: fc.option(fc.constantFrom('p1' as const, 'p2' as const), { nil: null, freq: 2 }),
});

const uniformSpec: SpecChoice = { side: 'long', quantity: 1, stopLossPercent: 2, positionId: null };

function createItem(profile: CampaignProfile): fc.Arbitrary<CreateItem> {
  const key = fc.constantFrom(...campaignKeys);
  const valid = fc.record({ key, spec: profile.uniformSpecs === true ? fc.constant(uniformSpec) : specChoice });
  if (profile.invalidPercent <= 0) return valid;
  const invalid = fc.record({ key, invalid: fc.constantFrom(...invalidSpecKinds) });
  return fc.oneof({ arbitrary: valid, weight: 100 - profile.invalidPercent }, { arbitrary: invalid, weight: profile.invalidPercent });
}

/** The generator of one command under `profile`. */
export function commandArbitrary(profile: CampaignProfile): fc.Arbitrary<CommandData> {
  const slot = fc.integer({ min: 0, max: 2 });
  const key = fc.constantFrom(...campaignKeys);
  const item = createItem(profile);
  const tenths = (min: number, max: number) => fc.integer({ min, max }).map((value) => value / 10);
  const percent = fc.oneof(
    { arbitrary: tenths(-30, 30), weight: 6 },
    { arbitrary: fc.tuple(tenths(50, 120), fc.boolean()).map(([size, down]) => (down ? -size : size)), weight: 1 },
  );
  const byName: Record<CommandName, fc.Arbitrary<CommandData>> = {
    create: fc.record({ op: fc.constant('create' as const), slot, item }),
    createMany: fc.record({ op: fc.constant('createMany' as const), slot, items: fc.array(item, { minLength: 1, maxLength: 3 }) }),
    price: fc.record({ op: fc.constant('price' as const), key, percent, stale: fc.integer({ min: 0, max: 7 }).map((value) => value === 0) }),
    resize: fc.record({ op: fc.constant('resize' as const), slot, key, quantity: fc.constantFrom(1, 2, 4, 0) }),
    remove: fc.record({ op: fc.constant('remove' as const), slot, key }),
    restore: fc.record({ op: fc.constant('restore' as const), slot }),
    reconcile: fc.record({ op: fc.constant('reconcile' as const), slot }),
    crash: fc.record({
      op: fc.constant('crash' as const),
      slot,
      afterCalls: fc.integer({ min: 0, max: 8 }),
      when: fc.constantFrom('before' as const, 'after' as const),
    }),
    restart: fc.record({ op: fc.constant('restart' as const), slot }),
    close: fc.record({ op: fc.constant('close' as const), slot }),
    cancelByHand: fc.record({ op: fc.constant('cancelByHand' as const), key }),
    settle: fc.constant({ op: 'settle' as const }),
  };
  const weighted = Object.entries(profile.commands)
    .filter(([, weight]) => weight !== undefined && weight > 0)
    .map(([name, weight]) => ({ arbitrary: byName[name as CommandName], weight: weight! }));
  return fc.oneof(...weighted);
}

const placerFaultArbitraries: Record<PlacerFault['kind'], fc.Arbitrary<PlacerFault>> = {
  reject: fc.constant({ kind: 'reject' }),
  timeout: fc.record({ kind: fc.constant('timeout' as const), executed: fc.boolean() }),
  unavailable: fc.record({ kind: fc.constant('unavailable' as const), executed: fc.boolean() }),
  'rate-limit': fc.record({ kind: fc.constant('rate-limit' as const), retryAfterMs: fc.constantFrom(50, 500) }),
  'would-trigger': fc.constant({ kind: 'would-trigger' }),
  late: fc.constant({ kind: 'late' }),
  hang: fc.record({ kind: fc.constant('hang' as const), executed: fc.boolean(), release: fc.constantFrom('abort' as const, 'never' as const) }),
  'lose-order': fc.constant({ kind: 'lose-order' }),
};

const storeFaultArbitraries: Record<StoreFault['kind'], fc.Arbitrary<StoreFault>> = {
  reject: fc.record({ kind: fc.constant('reject' as const), executed: fc.boolean() }),
  delay: fc.record({ kind: fc.constant('delay' as const), ms: fc.constantFrom(10, 2_000), phase: fc.constantFrom('request' as const, 'answer' as const) }),
};

/** The generator of one slot's fault schedules under `profile`. */
export function slotFaultsArbitrary(profile: CampaignProfile): fc.Arbitrary<SlotFaults> {
  const targets = profile.faultTargets ?? {};
  const call = fc.integer({ min: 1, max: targets.maxCall ?? 8 });
  const rules = <Rule>(kinds: readonly string[], faults: Record<string, fc.Arbitrary<unknown>>, operations: readonly string[], max: number) =>
    kinds.length === 0 || max === 0
      ? fc.constant([] as Rule[])
      : (fc.array(
          fc.record({ operation: fc.constantFrom(...operations), call, fault: fc.oneof(...kinds.map((kind) => faults[kind]!)) }),
          { maxLength: max },
        ) as unknown as fc.Arbitrary<Rule[]>);
  return fc.record({
    placer: rules<PlacerFaultRule>(
      profile.placerFaults,
      placerFaultArbitraries,
      targets.placer ?? ['placeStop', 'placeStop', 'cancelStop', 'findStop', 'openStops', 'amendStop', '*'],
      profile.rulesPerSlot.placer,
    ),
    store: rules<StoreFaultRule>(
      profile.storeFaults,
      storeFaultArbitraries,
      targets.store ?? ['load', 'list', 'insert', 'compareAndSet', 'compareAndSet', 'delete', '*'],
      profile.rulesPerSlot.store,
    ),
  });
}

/** The generator of a run's world under `profile`. */
export function setupArbitrary(profile: CampaignProfile): fc.Arbitrary<CampaignSetup> {
  return fc.record({
    store: fc.constantFrom(...profile.stores),
    amend: fc.constantFrom(...profile.amend),
    stream: fc.constantFrom(...profile.stream),
    watch: fc.constantFrom(...profile.watch),
    time: fc.oneof(
      ...(['idle', 'race'] as const).filter((mode) => profile.time[mode] > 0).map((mode) => ({ arbitrary: fc.constant(mode), weight: profile.time[mode] })),
    ),
    slots: fc.array(slotFaultsArbitrary(profile), { minLength: profile.registries.min, maxLength: profile.registries.max }),
  });
}

/** One command for `fc.commands`: runs its data on the world; prints as the data. */
export class CampaignCommand implements fc.AsyncCommand<object, World> {
  readonly data: CommandData;

  constructor(data: CommandData) {
    this.data = data;
  }

  check(): boolean {
    return true;
  }

  run(_model: object, world: World): Promise<void> {
    return applyCommand(world, this.data);
  }

  toString(): string {
    return JSON.stringify(this.data);
  }
}

/** `fc.commands` over the campaign's commands under `profile`. */
export function commandsArbitrary(profile: CampaignProfile, maxCommands = profile.maxCommands): fc.Arbitrary<Iterable<fc.AsyncCommand<object, World>>> {
  return fc.commands([commandArbitrary(profile).map((data) => new CampaignCommand(data))], { maxCommands, size: 'max' });
}

/** The spec a creation sends: a valid position at the key's current price, or bad input. */
export function specOf(world: World, item: CreateItem): CreateStopSpec {
  const entryPrice = world.prices.get(item.key)!;
  if ('spec' in item) {
    const choice = item.spec;
    return {
      symbol: item.key,
      side: choice.side,
      entryPrice,
      quantity: choice.quantity,
      tickSize: 0.01,
      ...(choice.stopLossPercent === null ? {} : { stopLossPercent: choice.stopLossPercent }),
      // A caller names one position per side: the same name never protects a long and then a short.
      ...(choice.positionId === null ? {} : { positionId: `${item.key}-${choice.side}-${choice.positionId}` }),
    };
  }
  const valid: CreateStopSpec = { symbol: item.key, side: 'long', entryPrice, quantity: 1, stopLossPercent: 2, tickSize: 0.01 };
  switch (item.invalid) {
    case 'nan-entry':
      return { ...valid, entryPrice: Number.NaN };
    case 'zero-entry':
      return { ...valid, entryPrice: 0 };
    case 'negative-quantity':
      return { ...valid, quantity: -1 };
    case 'infinite-quantity':
      return { ...valid, quantity: Number.POSITIVE_INFINITY };
    case 'empty-symbol':
      return { ...valid, symbol: '' };
    case 'unknown-side':
      return { ...valid, side: 'sideways' as 'long' };
    case 'stop-loss-out-of-range':
      return { ...valid, stopLossPercent: 150 };
    case 'unknown-field':
      return { ...valid, callbakPercent: 1 } as CreateStopSpec;
  }
}

/** Runs one command on the world: starts its operation, or settles and checks. */
export async function applyCommand(world: World, data: CommandData): Promise<void> {
  const printed = JSON.stringify(data);
  world.history.push(printed);
  if (data.op === 'settle') {
    await settle(world);
    return;
  }
  const incarnation = 'slot' in data ? world.slots[data.slot % world.slots.length]!.current : undefined;
  if (incarnation?.dead && data.op !== 'restart') return; // a dead process does nothing
  switch (data.op) {
    case 'create':
      startCreations(world, incarnation!, printed, [data.item], false);
      break;
    case 'createMany':
      startCreations(world, incarnation!, printed, data.items, true);
      break;
    case 'price':
      movePrice(world, data.key, data.percent, data.stale);
      break;
    case 'resize':
      world.start(incarnation!, { command: printed, kind: 'resize', key: data.key, quantity: data.quantity }, () =>
        incarnation!.registry.resize(data.key, data.quantity),
      );
      break;
    case 'remove':
      world.start(incarnation!, { command: printed, kind: 'remove', key: data.key }, () => incarnation!.registry.remove(data.key));
      break;
    case 'restore':
      world.start(incarnation!, { command: printed, kind: 'restore' }, () => incarnation!.registry.restore({ prices: world.pricesBySymbol() }));
      break;
    case 'reconcile':
      world.start(incarnation!, { command: printed, kind: 'reconcile' }, () => incarnation!.registry.reconcile({ prices: world.pricesBySymbol() }));
      break;
    case 'crash':
      if (data.afterCalls === 0) incarnation!.kill();
      else incarnation!.armed = { remaining: data.afterCalls, when: data.when };
      break;
    case 'restart':
      restart(world, incarnation!, printed, false);
      break;
    case 'close':
      close(world, incarnation!, printed);
      break;
    case 'cancelByHand': {
      const [order] = world.venue.liveOrders(data.key);
      if (order !== undefined && world.venue.cancelByHand(order.id)) {
        world.lostSinceHeal = true;
        world.venueMonitor.cancelledByHand(order);
      }
      break;
    }
  }
  checkAlways(world);
}

function startCreations(world: World, incarnation: Incarnation, printed: string, items: readonly CreateItem[], many: boolean): void {
  const specs = items.map((item) => specOf(world, item));
  const fields = (index: number) => ({
    command: printed,
    kind: 'create' as const,
    key: items[index]!.key,
    spec: specs[index]!,
    valid: 'spec' in items[index]!,
    viaMany: many,
  });
  if (!many) {
    world.start(incarnation, fields(0), () => incarnation.registry.create(specs[0]!));
    return;
  }
  // createMany() reports bad specs as it is called: its operations count events from before it.
  const errorsAtStart = incarnation.errors.length;
  const results = incarnation.registry.createMany(specs);
  for (const index of specs.keys()) {
    world.start(incarnation, { ...fields(index), errorsAtStart }, async () => {
      const result = (await results)[index]!;
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    });
  }
}

/**
 * The venue sees the new price first (and fills the stops it crosses), then every registry that
 * is not dead gets the tick, closed ones included (they must not act on it).
 */
function movePrice(world: World, key: CampaignKey, percent: number, stale: boolean): void {
  const previous = world.prices.get(key)!;
  const price = Math.max(1, Math.round(previous * (100 + percent)) / 100);
  world.prices.set(key, price);
  world.priced.add(key);
  world.venueMonitor.filled(world.venue.setPrice(key, price));
  world.tick += 2;
  for (const slot of world.slots) {
    const incarnation = slot.current;
    if (incarnation.dead) continue;
    try {
      incarnation.registry.updatePrice(key, price, world.tick);
      // An older tick arriving late must change nothing.
      if (stale) incarnation.registry.updatePrice(key, previous, world.tick - 1);
    } catch (error) {
      if (!hasErrorCode(error, 'ERR_CLOSED')) world.violations.add(`[updatePrice] ${incarnation} threw ${String(error)} for ${key} at ${price}`);
    }
  }
}

function close(world: World, incarnation: Incarnation, printed: string): void {
  incarnation.closing = true;
  const operation = world.start(incarnation, { command: printed, kind: 'close' }, () =>
    incarnation.registry.close().then(() => {
      incarnation.closed = true;
    }),
  );
  incarnation.closeDone = operation.done;
}

/** A crashed or closed process starts again at once; a live one first closes, then starts. */
function restart(world: World, incarnation: Incarnation, printed: string, faultFree: boolean): void {
  const begin = () => {
    const next = world.startIncarnation(incarnation.slot, faultFree);
    world.start(next, { command: printed, kind: 'restore' }, () => next.registry.restore({ prices: world.pricesBySymbol() }));
  };
  // One process per slot: a restart already waiting for this close starts the next one (also
  // once the close resolved and that restart's start is still to run).
  // (A process that crashed while it closed never starts that next one: this restart does.)
  if (incarnation.restartPending && !incarnation.dead) return;
  if (incarnation.dead || incarnation.closed) {
    begin();
    return;
  }
  incarnation.restartPending = true;
  if (!incarnation.closing) close(world, incarnation, printed);
  void incarnation.closeDone!.then(() => {
    if (!incarnation.dead) begin();
  });
}

/** Drives the world to quiescence and checks every invariant; the batch ends. */
export async function settle(world: World, strict = false): Promise<void> {
  if (await world.quiesce()) await checkQuiescence(world, strict);
  world.batch = [];
  world.priced.clear();
}

/**
 * The end of a run: settle, then heal as an operator would after the outage (every process
 * restarts on working ports, restores, and reconciles twice), and check strictly: no orphan, no
 * pending claim, every protected stop on the venue, memory equal to the store.
 */
export async function finish(world: World): Promise<void> {
  await settle(world);
  // The outage is over: the venue answers in time again.
  world.healed = true;
  world.clock.mode = 'idle';
  for (const slot of world.slots) {
    const incarnation = slot.current;
    if (!incarnation.dead && !incarnation.closing) close(world, incarnation, '"heal: close"');
  }
  await world.quiesce();
  checkOperations(world);
  world.batch = [];
  for (const slot of world.slots) restart(world, slot.current, '"heal: restart"', true);
  await world.quiesce();
  checkOperations(world);
  world.batch = [];
  for (let round = 1; round <= 2; round++) {
    for (const slot of world.slots) {
      const incarnation = slot.current;
      world.start(incarnation, { command: `"heal: reconcile ${round}"`, kind: 'reconcile' }, () =>
        incarnation.registry.reconcile({ prices: world.pricesBySymbol() }),
      );
    }
    await world.quiesce();
    checkOperations(world);
    world.batch = [];
  }
  world.crashedSinceHeal = false;
  world.lostSinceHeal = false;
  await settle(world, true);
  for (const slot of world.slots) close(world, slot.current, '"end: close"');
  await settle(world, true);
}

/** Runs a whole campaign input (a replay): every command, then {@link finish}. */
export async function runCommands(world: World, commands: readonly CommandData[]): Promise<void> {
  for (const command of commands) await applyCommand(world, command);
  await finish(world);
}
