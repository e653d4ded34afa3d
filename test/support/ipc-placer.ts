/**
 * One paper venue shared by several real processes. A {@link PaperExchange} lives in memory, so it
 * cannot be shared across processes; the parent keeps it and serves it over the IPC channel of
 * `node:child_process` ({@link serveVenue}), and each child talks to it through an
 * {@link IpcPlacer}, the way bot processes talk to one exchange account over the network.
 *
 * Calls take effect when they reach the parent; the child's AbortSignal only stops its own wait
 * (a timed-out call may still have placed its order, I7). Typed errors cross the channel by name.
 */
import type { ChildProcess } from 'node:child_process';
import type { FindStopQuery, OrderPlacer, PlacerCallOptions, PlacerCapabilities, StopOrder, StopOrderRequest } from '../../src/ports/order-placer.js';
import type { PaperExchange } from '../../src/placers/paper.js';
import {
  AbortedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  OrderNotFoundError,
  TrailingStopError,
  WouldTriggerError,
} from '../../src/errors.js';

/** The venue methods a child may call. */
export type VenueMethod = 'placeStop' | 'cancelStop' | 'findStop' | 'openStops';

/** Child to parent: one call. */
export interface VenueCallMessage {
  readonly kind: 'venue-call';
  readonly id: number;
  readonly method: VenueMethod;
  readonly argument: StopOrderRequest | StopOrder | FindStopQuery | null;
}

/** Parent to child: one answer. */
export type VenueAnswerMessage =
  | { readonly kind: 'venue-answer'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'venue-answer'; readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

/** Serves `venue` to `child`'s {@link IpcPlacer}. Returns a function that stops serving. */
export function serveVenue(child: ChildProcess, venue: PaperExchange): () => void {
  const onMessage = (message: unknown) => {
    if (!isVenueCall(message)) return;
    const signal = new AbortController().signal;
    let pending: Promise<unknown>;
    switch (message.method) {
      case 'placeStop':
        pending = venue.placeStop(message.argument as StopOrderRequest, { signal });
        break;
      case 'cancelStop':
        pending = venue.cancelStop(message.argument as StopOrder, { signal });
        break;
      case 'findStop':
        pending = venue.findStop!(message.argument as FindStopQuery, { signal });
        break;
      case 'openStops':
        pending = venue.openStops({ signal });
        break;
    }
    pending.then(
      (value) => reply({ kind: 'venue-answer', id: message.id, ok: true, value: value ?? null }),
      (error: unknown) => {
        const { name, message: text } = error instanceof Error ? error : { name: 'Error', message: String(error) };
        reply({ kind: 'venue-answer', id: message.id, ok: false, error: { name, message: text } });
      },
    );
  };
  const reply = (answer: VenueAnswerMessage) => {
    if (child.connected) child.send(answer);
  };
  child.on('message', onMessage);
  return () => child.off('message', onMessage);
}

/** An {@link OrderPlacer} whose venue is in the parent process; see the module comment. */
export class IpcPlacer implements OrderPlacer {
  readonly capabilities: PlacerCapabilities = { clientOrderIdMaxLength: 36 };
  readonly #waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  readonly #onMessage = (message: unknown) => {
    if (!isVenueAnswer(message)) return;
    const waiter = this.#waiting.get(message.id);
    if (waiter === undefined) return; // the caller gave up (abort); the call took effect anyway
    this.#waiting.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(reviveError(message.error));
  };
  #nextId = 1;

  constructor() {
    if (process.send === undefined) throw new Error('IpcPlacer needs an IPC channel (start the process with fork)');
    process.on('message', this.#onMessage);
  }

  placeStop(request: StopOrderRequest, options: PlacerCallOptions): Promise<StopOrder> {
    return this.#call('placeStop', request, options) as Promise<StopOrder>;
  }

  cancelStop(order: StopOrder, options: PlacerCallOptions): Promise<void> {
    return this.#call('cancelStop', order, options).then(() => undefined);
  }

  findStop(query: FindStopQuery, options: PlacerCallOptions): Promise<StopOrder | undefined> {
    return this.#call('findStop', query, options).then((value) => (value === null ? undefined : (value as StopOrder)));
  }

  openStops(options: PlacerCallOptions): Promise<StopOrder[]> {
    return this.#call('openStops', null, options) as Promise<StopOrder[]>;
  }

  /** Stops listening, so the process can exit. */
  close(): void {
    process.off('message', this.#onMessage);
  }

  #call(method: VenueMethod, argument: VenueCallMessage['argument'], options: PlacerCallOptions): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (options.signal.aborted) {
        reject(new AbortedError());
        return;
      }
      this.#waiting.set(id, { resolve, reject });
      options.signal.addEventListener(
        'abort',
        () => {
          if (this.#waiting.delete(id)) reject(new AbortedError());
        },
        { once: true },
      );
      const message: VenueCallMessage = { kind: 'venue-call', id, method, argument };
      process.send!(message);
    });
  }
}

const errorTypes: Record<string, new (message: string) => TrailingStopError> = {
  WouldTriggerError,
  ExchangeRejectedError,
  OrderNotFoundError,
  ExchangeUnavailableError,
};

function reviveError(error: { readonly name: string; readonly message: string }): Error {
  const Type = errorTypes[error.name];
  if (Type !== undefined) return new Type(error.message);
  const plain = new Error(error.message);
  plain.name = error.name;
  return plain;
}

function isVenueCall(message: unknown): message is VenueCallMessage {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'venue-call';
}

function isVenueAnswer(message: unknown): message is VenueAnswerMessage {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'venue-answer';
}
