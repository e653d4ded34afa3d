/**
 * Time and order for the fault campaign: every exchange answer, store answer and timer is a task
 * of one scheduler (fast-check's `fc.scheduler()` in properties, a deterministic policy in replay
 * tests), a virtual clock whose time moves only when one of its timers fires, and a driver that
 * releases tasks one at a time until a promise settles, within a bounded number of steps.
 */
import type fc from 'fast-check';
import type { Clock } from '../../src/ports/clock.js';

/** The part of `fc.Scheduler` the campaign uses; a {@link ReplayScheduler} has it too. */
export type StepScheduler = Pick<fc.Scheduler, 'schedule' | 'count' | 'waitNext'>;

/** The scheduler seen as fast-check's type, for the wrappers of test/support/scheduled.ts (they call `schedule` only). */
export function asFastCheckScheduler(scheduler: StepScheduler): fc.Scheduler {
  return scheduler as fc.Scheduler;
}

/**
 * How a {@link ReplayScheduler} picks the next task: the oldest (`fifo`), the newest (`lifo`), or
 * a seeded pseudo-random one (`{ seed }`).
 */
export type ReplayPolicy = 'fifo' | 'lifo' | { readonly seed: number };

interface ReplayTask {
  readonly label: string;
  readonly release: () => Promise<void>;
}

/**
 * A scheduler whose choices follow a fixed policy, so a replay test interleaves the same way on
 * every run (as long as the code under test schedules the same tasks).
 */
export class ReplayScheduler implements StepScheduler {
  readonly #tasks: ReplayTask[] = [];
  readonly #policy: ReplayPolicy;
  #random: () => number;
  /** Labels of the released tasks, in order (for a failure's message). */
  readonly released: string[] = [];

  constructor(policy: ReplayPolicy = 'fifo') {
    this.#policy = policy;
    this.#random = seededRandom(typeof policy === 'object' ? policy.seed : 0);
  }

  schedule<T>(task: Promise<T>, label = ''): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#tasks.push({
        label,
        release: () =>
          task.then(
            (value) => resolve(value),
            (error: unknown) => reject(error),
          ),
      });
    });
  }

  count(): number {
    return this.#tasks.length;
  }

  async waitNext(count: number): Promise<void> {
    for (let released = 0; released < count && this.#tasks.length > 0; released++) {
      const policy = this.#policy;
      const index = policy === 'fifo' ? 0 : policy === 'lifo' ? this.#tasks.length - 1 : Math.floor(this.#random() * this.#tasks.length);
      const [task] = this.#tasks.splice(index, 1);
      this.released.push(task!.label);
      await task!.release();
    }
  }
}

/** A small deterministic generator in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * How time passes in the simulated world:
 * - `idle`: only when nothing else can happen (every answer is instant next to a timeout), so a
 *   call times out only when it hangs, and timers fire in due order;
 * - `race`: every timer is a task of the scheduler, so any timer may fire before any answer
 *   (timeouts beat the venue in some interleavings, and answers then arrive late).
 */
export type TimeMode = 'idle' | 'race';

interface Timer {
  readonly due: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock for the whole simulated world: `now()` stands still until a timer fires, and then jumps
 * to its due time (never back). See {@link TimeMode} for when timers fire; leases expire once
 * enough time passed in polls, timeouts and backoffs.
 */
export class VirtualClock implements Clock {
  #now: number;
  #order = 0;
  readonly #scheduler: StepScheduler;
  #mode: TimeMode;
  readonly #timers: Timer[] = [];

  constructor(scheduler: StepScheduler, mode: TimeMode, start = 1_700_000_000_000) {
    this.#scheduler = scheduler;
    this.#mode = mode;
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** How time passes from now on (timers already set keep theirs). */
  set mode(mode: TimeMode) {
    this.#mode = mode;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer: Timer = { due: this.#now + Math.max(0, delayMs), order: this.#order++, callback, cancelled: false };
    if (this.#mode === 'race') {
      void this.#scheduler.schedule(Promise.resolve(), `timer(${delayMs})`).then(() => this.#fire(timer));
    } else {
      this.#timers.push(timer);
    }
    return timer;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'object' && handle !== null) (handle as Timer).cancelled = true;
  }

  /** Fires the earliest pending timer (of those set in `idle` mode) due by `until`; false when none is left. */
  advance(until = Number.POSITIVE_INFINITY): boolean {
    for (;;) {
      if (this.#timers.length === 0) return false;
      let earliest = 0;
      for (let index = 1; index < this.#timers.length; index++) {
        const timer = this.#timers[index]!;
        const best = this.#timers[earliest]!;
        if (timer.due < best.due || (timer.due === best.due && timer.order < best.order)) earliest = index;
      }
      if (this.#timers[earliest]!.due > until && !this.#timers[earliest]!.cancelled) return false;
      const [timer] = this.#timers.splice(earliest, 1);
      if (timer!.cancelled) continue;
      this.#fire(timer!);
      return true;
    }
  }

  #fire(timer: Timer): void {
    if (timer.cancelled) return;
    this.#now = Math.max(this.#now, timer.due);
    timer.callback();
  }
}

/**
 * Lets everything happen that can: releases every scheduled task and fires every timer due within
 * `horizonMs` of virtual time (later ones wait: a periodic timer cannot keep it busy forever), new
 * timers included, within `limit` steps. `settled` when nothing is left, else `exhausted`.
 */
export async function drain(
  scheduler: StepScheduler,
  clock: VirtualClock,
  horizonMs: number,
  limit: number,
  counter: { count: number },
): Promise<DriveOutcome> {
  const until = clock.now() + horizonMs;
  for (let steps = 0; steps < limit; steps++) {
    await Promise.resolve();
    if (scheduler.count() === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (scheduler.count() === 0) {
        if (!clock.advance(until)) return 'settled';
        counter.count++;
        continue;
      }
    }
    counter.count++;
    await scheduler.waitNext(1);
  }
  return 'exhausted';
}

/** How a {@link drive} ended. */
export type DriveOutcome = 'settled' | 'stuck' | 'exhausted';

/**
 * Releases scheduled tasks one at a time until `until` settles: `settled`; `stuck` when it has not
 * settled and nothing is left to release, nor any timer for `clock` to fire (it never will);
 * `exhausted` after `limit` steps. Every step is counted in `counter.count`.
 */
export async function drive(
  scheduler: StepScheduler,
  clock: VirtualClock,
  until: Promise<unknown>,
  limit: number,
  counter: { count: number },
): Promise<DriveOutcome> {
  let settled = false;
  until.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let steps = 0; ; steps++) {
    await Promise.resolve();
    if (settled) return 'settled';
    if (scheduler.count() === 0) {
      // Let every microtask chain finish: one of them may still schedule a task or settle `until`.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) return 'settled';
      if (scheduler.count() === 0) {
        if (steps >= limit) return 'exhausted';
        // Nothing else can happen: time passes.
        if (!clock.advance()) return 'stuck';
        counter.count++;
        continue;
      }
    }
    if (steps >= limit) return 'exhausted';
    counter.count++;
    await scheduler.waitNext(1);
  }
}
