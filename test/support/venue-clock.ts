/**
 * Virtual time for venue-truth tests: a clock whose timers fire only when the test drives them,
 * and a driver that runs a piece of work to its end the way a quiet world would: order updates
 * the venue held back are delivered, pending microtasks and I/O callbacks run, and only when
 * nothing else can make progress does time jump to the next timer. So every exchange and store
 * answer (PaperExchange and MemoryStateStore answer at once) beats every timeout, and the waits
 * that the registry arms (`confirmTriggerMs`, a cancel's grace, owed retries) pass in a few
 * virtual milliseconds, never on the wall clock.
 */
import type { Clock } from '../../src/ports/clock.js';
import type { PaperExchange } from '../../src/placers/paper.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/** A clock with a queue of timers, fired one at a time by {@link VirtualClock.fireNext}. */
export class VirtualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  /** @inheritdoc */
  now(): number {
    return this.#now;
  }

  /** @inheritdoc */
  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer: Timer = { id: this.#nextId++, due: this.#now + Math.max(0, delayMs), callback };
    this.#timers.set(timer.id, timer);
    return timer;
  }

  /** @inheritdoc */
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'object' && handle !== null && 'id' in handle) this.#timers.delete((handle as Timer).id);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time to the earliest timer (ties: the first armed) and fires it. False when none is armed. */
  fireNext(): boolean {
    let next: Timer | undefined;
    for (const timer of this.#timers.values()) if (next === undefined || timer.due < next.due) next = timer;
    if (next === undefined) return false;
    this.#timers.delete(next.id);
    this.#now = Math.max(this.#now, next.due);
    next.callback();
    return true;
  }

  /** Resolves when `ms` of virtual time have passed (drive it with {@link drive}). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
}

/** Lets every queued microtask and I/O callback run (setImmediate comes after them). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What {@link drive} works with. */
export interface DriveWorld {
  readonly clock: VirtualClock;
  /** A venue in `orderUpdates: 'manual'` mode: what it holds back is delivered on each round. */
  readonly venue: PaperExchange;
}

/** Virtual time one {@link drive} may spend before it calls the work stuck in a loop. */
const horizonMs = 10 * 60_000;

/**
 * Runs until `work` settles: delivers held order updates, lets microtasks run, and fires the next
 * timer only when nothing else moves. Resolves or rejects as `work` does. Throws when `work` waits
 * on nothing (no update, no timer: it can never settle) or when it needs more than ten virtual
 * minutes (a livelock: the registry keeps itself busy).
 */
export async function drive<T>(world: DriveWorld, work: Promise<T>): Promise<T> {
  const { clock, venue } = world;
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  work.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  const start = clock.now();
  for (;;) {
    venue.deliverUpdates();
    await turn();
    if (outcome !== undefined) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    if (venue.pendingUpdates().length > 0) continue;
    if (clock.now() - start > horizonMs) throw new Error(`Still busy after ${horizonMs} virtual ms: a livelock`);
    if (!clock.fireNext()) throw new Error('The work waits on nothing: no order update and no timer can move it');
  }
}

/**
 * Runs the world to quiescence: `idle()` (the registry's `onIdle`) resolved, no order update held
 * back and no timer armed. Timers left by finished waits (a confirmation that ended meanwhile)
 * fire harmlessly on the way.
 */
export async function settle(world: DriveWorld, idle: () => Promise<void>): Promise<void> {
  const { clock, venue } = world;
  const start = clock.now();
  for (;;) {
    await drive(world, idle());
    venue.deliverUpdates();
    await turn();
    if (venue.pendingUpdates().length > 0) continue;
    if (clock.pending === 0) {
      // Nothing armed: one more look at idle catches work started by the last delivery.
      let idleNow = false;
      void idle().then(() => (idleNow = true));
      await turn();
      if (idleNow && venue.pendingUpdates().length === 0 && clock.pending === 0) return;
      continue;
    }
    if (clock.now() - start > horizonMs) throw new Error(`Still busy after ${horizonMs} virtual ms: a livelock`);
    clock.fireNext();
  }
}
