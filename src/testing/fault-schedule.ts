/**
 * Fault schedules: which call of a placer or a store fails, and how, as plain data. A schedule is a
 * list of rules ("the 3rd `placeStop` times out after reaching the venue"), so a property-based
 * test can generate it, shrink it and print it, and a failure replays from the printed value.
 * {@link FaultyPlacer} and {@link FaultyStore} read schedules; this module only says which rule,
 * if any, fires for a call.
 */

/** The calls of an `OrderPlacer` a fault can hit. */
export type PlacerOperation =
  | 'placeStop'
  | 'cancelStop'
  | 'amendStop'
  | 'findStop'
  | 'openStops'
  | 'placeTrailingStop'
  | 'closePosition';

/** Every {@link PlacerOperation}, for generators. */
export const placerOperations: readonly PlacerOperation[] = [
  'placeStop',
  'cancelStop',
  'amendStop',
  'findStop',
  'openStops',
  'placeTrailingStop',
  'closePosition',
];

/** The calls of a `StateStore` a fault can hit (`close()` never fails). */
export type StoreOperation = 'load' | 'list' | 'insert' | 'compareAndSet' | 'delete';

/** Every {@link StoreOperation}, for generators. */
export const storeOperations: readonly StoreOperation[] = ['load', 'list', 'insert', 'compareAndSet', 'delete'];

/**
 * What happens to one placer call (docs/design.md section 6, the exchange's faults):
 * - `reject`: refused for good (`ExchangeRejectedError`); nothing happens on the venue.
 * - `timeout`: the library's `TimeoutError` (outcome unknown); with `executed` the call reached the
 *   venue first (the order exists), without it nothing happened.
 * - `unavailable`: a network failure, `ExchangeUnavailableError` with `unknownOutcome: true`;
 *   `executed` as for `timeout`.
 * - `rate-limit`: `ExchangeUnavailableError` with `unknownOutcome: false` and `retryAfterMs`;
 *   nothing happened.
 * - `would-trigger`: `WouldTriggerError` (the price already crossed the stop); nothing happened.
 * - `late`: the call reaches the venue at once, but its answer arrives only after the caller gave
 *   up (its AbortSignal aborted), as a real answer that crossed the caller's timeout.
 * - `hang`: the call never answers; `executed` says whether it reached the venue. With
 *   `release: 'abort'` it rejects with `AbortedError` once the caller's signal aborts; with
 *   `'never'` it stays pending forever, as a placer that ignores its signal.
 * - `lose-order`: the call executes and answers normally, but the venue cancels the order it
 *   returned right away, as a user clicking "cancel" in the venue's web page. Only calls that
 *   answer an order (`placeStop`, `amendStop`, `findStop`, `placeTrailingStop`) lose one.
 */
export type PlacerFault =
  | {
      /** Refused for good: `ExchangeRejectedError`, nothing happens on the venue. */
      readonly kind: 'reject';
    }
  | {
      /** The library's `TimeoutError`: the caller cannot know the outcome. */
      readonly kind: 'timeout';
      /** True: the call reached the venue before timing out (the order exists); false: nothing happened. */
      readonly executed: boolean;
    }
  | {
      /** A network failure: `ExchangeUnavailableError` with `unknownOutcome: true`. */
      readonly kind: 'unavailable';
      /** True: the call reached the venue before the connection failed; false: nothing happened. */
      readonly executed: boolean;
    }
  | {
      /** The venue's rate limit: `ExchangeUnavailableError` with `unknownOutcome: false`; nothing happened. */
      readonly kind: 'rate-limit';
      /** The error's `retryAfterMs`: how long the venue asks callers to wait, in ms. */
      readonly retryAfterMs: number;
    }
  | {
      /** `WouldTriggerError`: the price already crossed the stop; nothing happened. */
      readonly kind: 'would-trigger';
    }
  | {
      /** The call executes at once, but its answer arrives only after the caller's signal aborted. */
      readonly kind: 'late';
    }
  | {
      /** The call never answers. */
      readonly kind: 'hang';
      /** True: the call reached the venue before it stopped answering; false: nothing happened. */
      readonly executed: boolean;
      /** `'abort'`: rejects with `AbortedError` once the caller's signal aborts; `'never'`: stays pending forever. */
      readonly release: 'abort' | 'never';
    }
  | {
      /** The call executes and answers normally, then the venue cancels the order it returned. */
      readonly kind: 'lose-order';
    };

/** Every {@link PlacerFault} kind, for generators. */
export const placerFaultKinds: readonly PlacerFault['kind'][] = [
  'reject',
  'timeout',
  'unavailable',
  'rate-limit',
  'would-trigger',
  'late',
  'hang',
  'lose-order',
];

/**
 * What happens to one store call (docs/design.md section 6, the store's faults):
 * - `reject`: the store answers with a `StoreError`; with `executed` the operation took effect
 *   first (a write committed, then the connection dropped before the answer).
 * - `delay`: `ms` on the decorator's clock pass before the request reaches the store
 *   (`phase: 'request'`: a stale write arriving late) or before its answer comes back
 *   (`phase: 'answer'`: it took effect at once).
 */
export type StoreFault =
  | {
      /** The store answers with a `StoreError`. */
      readonly kind: 'reject';
      /**
       * True: the operation took effect before the error (a write committed, its answer lost);
       * false: nothing happened.
       */
      readonly executed: boolean;
    }
  | {
      /** The call is held up on the decorator's clock, then goes through. */
      readonly kind: 'delay';
      /** How long it is held up, in ms of the decorator's clock. */
      readonly ms: number;
      /**
       * `'request'`: the request reaches the store late (a stale write); `'answer'`: it takes effect
       * at once and its answer comes back late.
       */
      readonly phase: 'request' | 'answer';
    };

/** Every {@link StoreFault} kind, for generators. */
export const storeFaultKinds: readonly StoreFault['kind'][] = ['reject', 'delay'];

/**
 * One rule of a schedule: the `call`-th call (1-based) of `operation`, or of any operation with
 * `'*'`, gets `fault`. Calls are counted per decorator, from its creation.
 */
export interface FaultRule<Operation extends string, Fault> {
  /** The operation whose calls are counted, or `'*'` to count every call. */
  readonly operation: Operation | '*';
  /** Which call of it, 1-based. */
  readonly call: number;
  /** What happens to that call. */
  readonly fault: Fault;
}

/** A rule of a placer's fault schedule. */
export type PlacerFaultRule = FaultRule<PlacerOperation, PlacerFault>;

/** A rule of a store's fault schedule. */
export type StoreFaultRule = FaultRule<StoreOperation, StoreFault>;

/** A fault a decorator injected: which call, and what it did to it. */
export interface InjectedFault<Operation extends string, Fault> {
  /** The operation hit. */
  readonly operation: Operation;
  /** The call's number among calls of that operation (1-based). */
  readonly call: number;
  /** The fault injected. */
  readonly fault: Fault;
}

/**
 * Counts calls and picks the rule that fires for each; the first matching rule wins when several
 * name the same call. Rules are checked once at construction: a `call` that is not a positive
 * integer throws a `RangeError`, naming the rule.
 */
export class FaultSchedule<Operation extends string, Fault> {
  readonly #rules: readonly FaultRule<Operation, Fault>[];
  readonly #counts = new Map<string, number>();

  /** @param rules The schedule; copied, so later changes to the array do not count. */
  constructor(rules: readonly FaultRule<Operation, Fault>[]) {
    if (!Array.isArray(rules)) throw new TypeError('Expected the fault schedule to be an array of rules');
    for (const [index, rule] of rules.entries()) {
      if (!Number.isSafeInteger(rule.call) || rule.call < 1) {
        throw new RangeError(`Expected rule ${index} of the fault schedule to name a call >= 1, got \`${String(rule.call)}\``);
      }
    }
    this.#rules = [...rules];
  }

  /**
   * Counts one call of `operation`; returns its number (1-based) and the fault it gets, if any.
   * A decorator calls it once per call it receives, before forwarding or faulting the call.
   */
  next(operation: Operation): {
    /** The call's number among calls of `operation`, 1-based (as a rule's `call` counts). */
    readonly call: number;
    /** The fault of the first rule that names this call, or `undefined`: forward it unchanged. */
    readonly fault: Fault | undefined;
  } {
    const call = this.#count(operation);
    const any = this.#count('*');
    for (const rule of this.#rules) {
      if (rule.operation === operation ? rule.call === call : rule.operation === '*' && rule.call === any) {
        return { call, fault: rule.fault };
      }
    }
    return { call, fault: undefined };
  }

  #count(name: string): number {
    const count = (this.#counts.get(name) ?? 0) + 1;
    this.#counts.set(name, count);
    return count;
  }
}
