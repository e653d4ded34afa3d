/**
 * `FaultyPlacer`: wraps any {@link OrderPlacer} and injects the venue's faults on a schedule that is
 * plain data (see {@link PlacerFaultRule}), so a property-based test can generate the schedule with
 * the rest of its input, shrink it, and replay a failure from the printed value. Calls without a
 * fault go through unchanged; optional methods stay optional, so the registry sees the same
 * capabilities as with the wrapped placer.
 */
import type {
  ClosePositionRequest,
  FindStopQuery,
  OpenStopsOptions,
  OrderPlacer,
  PlacerCallOptions,
  PlacerCapabilities,
  StopOrder,
  StopOrderRequest,
  TrailingStopOrderRequest,
} from '../ports/order-placer.js';
import {
  AbortedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  TimeoutError,
  WouldTriggerError,
} from '../errors.js';
import {
  FaultSchedule,
  type InjectedFault,
  type PlacerFault,
  type PlacerFaultRule,
  type PlacerOperation,
} from './fault-schedule.js';
import { memberNames } from './port-members.js';

/** Options of {@link FaultyPlacer}. */
export interface FaultyPlacerOptions {
  /** Called for every fault injected, as it is injected (e.g. to log it beside a counterexample). */
  readonly onInject?: (fault: InjectedFault<PlacerOperation, PlacerFault>) => void;
}

/** A signal nobody aborts: the by-hand cancel of a `lose-order` fault is not the caller's call. */
const unabortable: AbortSignal = new AbortController().signal;

/**
 * An {@link OrderPlacer} that injects the faults of a schedule into the calls it forwards to
 * `inner`. See {@link PlacerFault} for what each fault does.
 *
 * @example
 * ```ts
 * import { PaperExchange, TrailingStopRegistry } from 'trailing-stop-registry';
 * import { FaultyPlacer } from 'trailing-stop-registry/testing';
 *
 * const venue = new PaperExchange();
 * // The first placement reaches the venue but its answer is lost in a timeout; the second
 * // cancel is refused for good.
 * const placer = new FaultyPlacer(venue, [
 *   { operation: 'placeStop', call: 1, fault: { kind: 'timeout', executed: true } },
 *   { operation: 'cancelStop', call: 2, fault: { kind: 'reject' } },
 * ]);
 * const registry = new TrailingStopRegistry({ placer });
 * await registry.create({ symbol: 'BTCUSDT', side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2 });
 * console.log(placer.injected); // [{ operation: 'placeStop', call: 1, fault: { kind: 'timeout', executed: true } }]
 * ```
 */
export class FaultyPlacer implements OrderPlacer {
  /** The wrapped placer's capabilities, unchanged. */
  readonly capabilities?: PlacerCapabilities;
  /** Every fault injected so far, in order. */
  readonly injected: InjectedFault<PlacerOperation, PlacerFault>[] = [];
  /** Present when the wrapped placer has it. */
  readonly amendStop?: (order: StopOrder, stopPrice: number, options: PlacerCallOptions) => Promise<StopOrder>;
  /** Present when the wrapped placer has it. */
  readonly findStop?: (query: FindStopQuery, options: PlacerCallOptions) => Promise<StopOrder | undefined>;
  /** Present when the wrapped placer has it. */
  readonly openStops?: (options: OpenStopsOptions) => Promise<StopOrder[]>;
  /** Present when the wrapped placer has it. */
  readonly placeTrailingStop?: (request: TrailingStopOrderRequest, options: PlacerCallOptions) => Promise<StopOrder>;
  /** Present when the wrapped placer has it. */
  readonly closePosition?: (request: ClosePositionRequest, options: PlacerCallOptions) => Promise<void>;
  /** The wrapped placer's order stream, passed through (no fault is scheduled on it). */
  readonly watchOrders?: OrderPlacer['watchOrders'];

  readonly #inner: OrderPlacer;
  readonly #schedule: FaultSchedule<PlacerOperation, PlacerFault>;
  readonly #options: FaultyPlacerOptions;

  /**
   * @param inner The placer to forward to (a `PaperExchange`, your own adapter...).
   * @param rules The fault schedule; an empty list injects nothing. Rules naming a call that is
   *   not a positive integer throw a `RangeError` at once.
   * @param options See {@link FaultyPlacerOptions}.
   */
  constructor(inner: OrderPlacer, rules: readonly PlacerFaultRule[], options: FaultyPlacerOptions = {}) {
    this.#inner = inner;
    this.#schedule = new FaultSchedule(rules);
    this.#options = options;
    if (inner.capabilities !== undefined) this.capabilities = inner.capabilities;
    const { amendStop, findStop, openStops, placeTrailingStop, closePosition } = inner;
    if (amendStop !== undefined) {
      this.amendStop = (order, stopPrice, callOptions) =>
        this.#call('amendStop', callOptions.signal, () => amendStop.call(inner, order, stopPrice, callOptions), (value) => value);
    }
    if (findStop !== undefined) {
      this.findStop = (query, callOptions) =>
        this.#call('findStop', callOptions.signal, () => findStop.call(inner, query, callOptions), (value) => value);
    }
    if (openStops !== undefined) {
      this.openStops = (callOptions) => this.#call('openStops', callOptions.signal, () => openStops.call(inner, callOptions));
    }
    if (placeTrailingStop !== undefined) {
      this.placeTrailingStop = (request, callOptions) =>
        this.#call('placeTrailingStop', callOptions.signal, () => placeTrailingStop.call(inner, request, callOptions), (value) => value);
    }
    if (closePosition !== undefined) {
      this.closePosition = (request, callOptions) =>
        this.#call('closePosition', callOptions.signal, () => closePosition.call(inner, request, callOptions));
    }
    if (inner.watchOrders !== undefined) this.watchOrders = inner.watchOrders.bind(inner);
    for (const name of memberNames(inner)) {
      if (name in this) continue;
      const member = (inner as unknown as Record<string, unknown>)[name];
      if (typeof member === 'function') Object.defineProperty(this, name, { value: member.bind(inner), enumerable: true });
    }
  }

  /** @inheritdoc */
  placeStop(request: StopOrderRequest, options: PlacerCallOptions): Promise<StopOrder> {
    return this.#call('placeStop', options.signal, () => this.#inner.placeStop(request, options), (value) => value);
  }

  /** @inheritdoc */
  cancelStop(order: StopOrder, options: PlacerCallOptions): Promise<void> {
    return this.#call('cancelStop', options.signal, () => this.#inner.cancelStop(order, options));
  }

  /**
   * Forwards one call, or injects its scheduled fault. `orderOf` names the order a call answers,
   * for `lose-order`.
   */
  #call<T>(
    operation: PlacerOperation,
    signal: AbortSignal,
    forward: () => Promise<T>,
    orderOf?: (value: T) => StopOrder | undefined,
  ): Promise<T> {
    const { call, fault } = this.#schedule.next(operation);
    if (fault === undefined) return forward();
    const injected = { operation, call, fault };
    this.injected.push(injected);
    this.#options.onInject?.(injected);
    return this.#inject(operation, fault, signal, forward, orderOf);
  }

  async #inject<T>(
    operation: PlacerOperation,
    fault: PlacerFault,
    signal: AbortSignal,
    forward: () => Promise<T>,
    orderOf: ((value: T) => StopOrder | undefined) | undefined,
  ): Promise<T> {
    switch (fault.kind) {
      case 'reject':
        throw new ExchangeRejectedError(`Injected fault: the venue refused ${operation}`);
      case 'would-trigger':
        throw new WouldTriggerError(`Injected fault: ${operation} would immediately trigger`);
      case 'rate-limit':
        throw new ExchangeUnavailableError(`Injected fault: ${operation} was rate-limited`, {
          unknownOutcome: false,
          retryAfterMs: fault.retryAfterMs,
        });
      case 'timeout':
        if (fault.executed) ignore(forward());
        throw new TimeoutError(`${operation} (injected fault)`, 0);
      case 'unavailable':
        if (fault.executed) ignore(forward());
        throw new ExchangeUnavailableError(`Injected fault: the connection failed during ${operation}; it may have executed`, {
          unknownOutcome: true,
        });
      case 'late': {
        const answer = forward();
        ignore(answer);
        await aborted(signal);
        return answer;
      }
      case 'hang':
        if (fault.executed) ignore(forward());
        if (fault.release === 'abort') await aborted(signal);
        else await new Promise<never>(() => {});
        throw new AbortedError(`Injected fault: ${operation} hung until its caller gave up`);
      case 'lose-order': {
        const value = await forward();
        const order = orderOf?.(value);
        if (order !== undefined && order.status !== 'cancelled' && order.status !== 'filled') {
          // A by-hand cancel that fails leaves the order in place: the caller's answer stands either way.
          await this.#inner.cancelStop(order, { signal: unabortable }).catch(() => {});
        }
        return value;
      }
    }
  }
}

/** Resolves once `signal` aborts (at once when it already has). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** An answer nobody waits for may reject; that must not become an unhandled rejection. */
function ignore(promise: Promise<unknown>): void {
  promise.catch(() => {});
}
