/**
 * `FaultyStore`: wraps any {@link StateStore} and injects the store's faults (rejections, with or
 * without the write having taken effect, and delays) on a schedule that is plain data (see
 * {@link StoreFaultRule}). Calls without a fault go through unchanged; `close()` never fails, and
 * optional members of the wrapped store (such as a change feed) are passed through as they are.
 */
import type {
  CompareAndSetResult,
  InsertResult,
  StateStore,
  StateStoreCapabilities,
  StopRecord,
} from '../ports/state-store.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { StoreError } from '../errors.js';
import { FaultSchedule, type InjectedFault, type StoreFault, type StoreFaultRule, type StoreOperation } from './fault-schedule.js';
import { memberNames } from './port-members.js';

/** Options of {@link FaultyStore}. */
export interface FaultyStoreOptions {
  /** Clock of `delay` faults. Default: the system clock. */
  readonly clock?: Clock;
  /** Called for every fault injected, as it is injected. */
  readonly onInject?: (fault: InjectedFault<StoreOperation, StoreFault>) => void;
}

/** Members every store has; anything else the wrapped store offers is passed through. */
const portMembers = new Set(['capabilities', 'load', 'list', 'insert', 'compareAndSet', 'delete', 'close']);

/**
 * A {@link StateStore} that injects the faults of a schedule into the calls it forwards to `inner`.
 * See {@link StoreFault} for what each fault does.
 *
 * @example
 * ```ts
 * import { MemoryStateStore, PaperExchange, TrailingStopRegistry } from 'trailing-stop-registry';
 * import { FaultyStore } from 'trailing-stop-registry/testing';
 *
 * // The creation's double-check (its first compare-and-set) commits, then the answer is lost.
 * const store = new FaultyStore(new MemoryStateStore(), [
 *   { operation: 'compareAndSet', call: 1, fault: { kind: 'reject', executed: true } },
 * ]);
 * const registry = new TrailingStopRegistry({ placer: new PaperExchange(), store });
 * ```
 */
export class FaultyStore implements StateStore {
  /** The wrapped store's capabilities, unchanged. */
  readonly capabilities?: StateStoreCapabilities;
  /** Every fault injected so far, in order. */
  readonly injected: InjectedFault<StoreOperation, StoreFault>[] = [];

  readonly #inner: StateStore;
  readonly #schedule: FaultSchedule<StoreOperation, StoreFault>;
  readonly #clock: Clock;
  readonly #options: FaultyStoreOptions;

  /**
   * @param inner The store to forward to.
   * @param rules The fault schedule; an empty list injects nothing. Rules naming a call that is
   *   not a positive integer throw a `RangeError` at once.
   * @param options See {@link FaultyStoreOptions}.
   */
  constructor(inner: StateStore, rules: readonly StoreFaultRule[], options: FaultyStoreOptions = {}) {
    this.#inner = inner;
    this.#schedule = new FaultSchedule(rules);
    this.#clock = options.clock ?? systemClock;
    this.#options = options;
    if (inner.capabilities !== undefined) this.capabilities = inner.capabilities;
    // Optional members added to the port later (a change feed) keep working through the wrapper.
    for (const name of memberNames(inner)) {
      if (portMembers.has(name) || name in this) continue;
      const member = (inner as unknown as Record<string, unknown>)[name];
      if (typeof member === 'function') Object.defineProperty(this, name, { value: member.bind(inner), enumerable: false });
    }
  }

  /** @inheritdoc */
  load(key: string): Promise<StopRecord | undefined> {
    return this.#call('load', () => this.#inner.load(key), key);
  }

  /** @inheritdoc */
  list(): Promise<StopRecord[]> {
    return this.#call('list', () => this.#inner.list(), undefined);
  }

  /** @inheritdoc */
  insert(record: StopRecord): Promise<InsertResult> {
    return this.#call('insert', () => this.#inner.insert(record), record.key);
  }

  /** @inheritdoc */
  compareAndSet(next: StopRecord, expectedVersion: number): Promise<CompareAndSetResult> {
    return this.#call('compareAndSet', () => this.#inner.compareAndSet(next, expectedVersion), next.key);
  }

  /** @inheritdoc */
  delete(key: string, expectedVersion?: number): Promise<boolean> {
    return this.#call('delete', () => this.#inner.delete(key, expectedVersion), key);
  }

  /** Closes the wrapped store; never faulted. */
  close(): Promise<void> {
    return this.#inner.close();
  }

  #call<T>(operation: StoreOperation, forward: () => Promise<T>, key: string | undefined): Promise<T> {
    const { call, fault } = this.#schedule.next(operation);
    if (fault === undefined) return forward();
    const injected = { operation, call, fault };
    this.injected.push(injected);
    this.#options.onInject?.(injected);
    return this.#inject(operation, fault, forward, key);
  }

  async #inject<T>(operation: StoreOperation, fault: StoreFault, forward: () => Promise<T>, key: string | undefined): Promise<T> {
    const options = key === undefined ? {} : { key };
    switch (fault.kind) {
      case 'reject':
        if (fault.executed) {
          await forward();
          throw new StoreError(`Injected fault: ${operation} took effect, then its answer was lost`, options);
        }
        throw new StoreError(`Injected fault: the store refused ${operation}`, options);
      case 'delay':
        if (fault.phase === 'request') {
          await this.#sleep(fault.ms);
          return forward();
        } else {
          const answer = forward();
          answer.catch(() => {});
          await this.#sleep(fault.ms);
          return answer;
        }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
  }
}
