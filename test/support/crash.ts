/**
 * A faithful model of a process that dies: wrap a registry's placer, store and clock with one
 * {@link Crash}; after `crash()` nothing it sends leaves the "process" and nothing comes back.
 * Calls already sent keep their effect (an order placed, a row written) but their answers are
 * lost, and the registry's promises never settle, exactly as after a `kill -9` between two awaits.
 */
import { interceptPlacer, interceptStore } from './intercept.js';
import type { OrderPlacer } from '../../src/ports/order-placer.js';
import type { StateStore } from '../../src/ports/state-store.js';
import type { Clock } from '../../src/ports/clock.js';

/** A placer or store method name, as seen by the crash hooks. */
export type CrashPoint =
  | { readonly side: 'placer'; readonly operation: string; readonly argument: unknown; readonly when: 'before' | 'after' }
  | { readonly side: 'store'; readonly operation: string; readonly argument: unknown; readonly when: 'before' | 'after' };

/** Decides, at each call, whether the process dies right there. */
export type CrashHook = (point: CrashPoint) => boolean;

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/**
 * What {@link Crash} and {@link Pause} share: they wrap a registry's placer, store and clock, and
 * differ only in what happens to a call (`forward`) and to a timer that comes due (`fire`).
 */
abstract class ProcessFate {
  /** Wraps an order placer (optional methods stay optional). */
  placer(inner: OrderPlacer): OrderPlacer {
    return interceptPlacer(inner, (operation, argument, call) => this.forward('placer', operation, argument, call));
  }

  /** Wraps a state store. `close()` still works (the test closes the real store itself). */
  store(inner: StateStore): StateStore {
    return interceptStore(inner, (operation, argument, call) => this.forward('store', operation, argument, call));
  }

  /** Wraps a clock: due timers go through `fire`. */
  clock(inner: Clock): Clock {
    return {
      now: () => inner.now(),
      setTimeout: (callback, delayMs) => inner.setTimeout(() => this.fire(callback), delayMs),
      clearTimeout: (handle) => inner.clearTimeout(handle),
    };
  }

  /** Sends one call of the wrapped process, or not. */
  protected abstract forward<T>(side: 'placer' | 'store', operation: string, argument: unknown, call: () => Promise<T>): Promise<T>;

  /** Runs a timer of the wrapped process that came due, or not (yet). */
  protected abstract fire(callback: () => void): void;
}

/** One process's fate; see the module comment. */
export class Crash extends ProcessFate {
  #crashed = false;
  readonly #hook: CrashHook | undefined;

  /**
   * @param hook Called before each call is sent (`before`: returning true kills the process and
   *   the call never leaves) and right after it took effect (`after`: it happened, the answer is lost).
   */
  constructor(hook?: CrashHook) {
    super();
    this.#hook = hook;
  }

  /** True once the process died. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** Kills the process now. */
  crash(): void {
    this.#crashed = true;
  }

  /** A dead process's timers never fire. */
  protected fire(callback: () => void): void {
    if (!this.#crashed) callback();
  }

  protected forward<T>(side: 'placer' | 'store', operation: string, argument: unknown, call: () => Promise<T>): Promise<T> {
    if (this.#crashed) return never();
    if (this.#hook?.({ side, operation, argument, when: 'before' } as CrashPoint)) {
      this.#crashed = true;
      return never();
    }
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      pending = Promise.reject(error);
    }
    if (this.#hook?.({ side, operation, argument, when: 'after' } as CrashPoint)) this.#crashed = true;
    return pending.then(
      (value) => (this.#crashed ? never<T>() : value),
      (error: unknown) => (this.#crashed ? never<T>() : Promise.reject(error)),
    );
  }
}

/** A clock whose time moves only when told; timers are real (short delays: polls, latency). */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  /** @inheritdoc */
  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** @inheritdoc */
  setTimeout(callback: () => void, delayMs: number): unknown {
    return setTimeout(callback, delayMs);
  }

  /** @inheritdoc */
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}

/**
 * A process that stops and later goes on (a long GC pause, a suspended VM, a laptop lid): while
 * paused nothing it sends leaves and no answer or timer reaches it; on `resume()` everything held
 * is delivered, late. Wrap a registry's placer, store and clock with one `Pause`.
 */
export class Pause extends ProcessFate {
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  readonly #hook: CrashHook | undefined;

  /** @param hook Like {@link Crash}'s: returning true pauses the process at that point. */
  constructor(hook?: CrashHook) {
    super();
    this.#hook = hook;
  }

  /** True while paused. */
  get paused(): boolean {
    return this.#gate !== undefined;
  }

  /** Pauses now. */
  pause(): void {
    if (this.#gate !== undefined) return;
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  /** Goes on: held calls leave, held answers and timers arrive. */
  resume(): void {
    const open = this.#open;
    this.#gate = undefined;
    this.#open = undefined;
    open?.();
  }

  /** A paused process's timers fire only after it resumes. */
  protected fire(callback: () => void): void {
    const gate = this.#gate;
    if (gate === undefined) callback();
    else void gate.then(callback);
  }

  protected async forward<T>(side: 'placer' | 'store', operation: string, argument: unknown, call: () => Promise<T>): Promise<T> {
    while (this.#gate !== undefined) await this.#gate;
    if (this.#hook?.({ side, operation, argument, when: 'before' } as CrashPoint)) this.pause();
    while (this.#gate !== undefined) await this.#gate;
    const pending = call();
    if (this.#hook?.({ side, operation, argument, when: 'after' } as CrashPoint)) this.pause();
    const settle = async () => {
      while (this.#gate !== undefined) await this.#gate;
    };
    return pending.then(
      async (value) => {
        await settle();
        return value;
      },
      async (error: unknown) => {
        await settle();
        throw error;
      },
    );
  }
}
