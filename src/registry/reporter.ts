/**
 * Where the registry's collaborators report: typed events on the registry itself, the logger, and
 * the counters that go with them. Snapshots are built only when someone listens.
 */
import type { EventEmitter } from 'eventemitter3';
import type { StopOrder } from '../ports/order-placer.js';
import type { Logger } from '../ports/logger.js';
import type { TrailingStopError } from '../errors.js';
import type { ErrorContext, RegistryEvents } from '../events.js';
import type { StopEntry } from '../stop/stop-entry.js';
import type { RegistryCounters } from './stats.js';

/** Codes of failures that are the caller's (bad input, bad timing), not the venue's or the store's. */
const callerSide = new Set<string>(['ERR_VALIDATION', 'ERR_CLOSED', 'ERR_ABORTED', 'ERR_STOP_CONFLICT', 'ERR_NOT_FOUND', 'ERR_UNSUPPORTED']);

/** Why an order was compensated (see {@link CompensatedEvent}). */
export type CompensationReason = 'race-lost' | 'late-answer' | 'removed' | 'moved';

/** Reports events, logs and counts; see the module comment. */
export class Reporter {
  /** The registry, as the emitter of its typed events. */
  readonly events: EventEmitter<RegistryEvents>;
  readonly logger: Logger;
  readonly counters: RegistryCounters;

  constructor(events: EventEmitter<RegistryEvents>, logger: Logger, counters: RegistryCounters) {
    this.events = events;
    this.logger = logger;
    this.counters = counters;
  }

  /** True when `name` has a listener (so a payload is worth building). */
  listening(name: keyof RegistryEvents): boolean {
    return this.events.listenerCount(name) > 0;
  }

  /** Emits an event whose payload is the stop's snapshot, building the snapshot only for listeners. */
  stop(name: 'created' | 'activated' | 'breakeven', entry: StopEntry): void {
    if (this.listening(name)) this.events.emit(name, { stop: entry.snapshot() });
  }

  /** An order nothing may keep was cancelled. */
  compensated(key: string, order: StopOrder, reason: CompensationReason): void {
    this.counters.compensated++;
    this.events.emit('compensated', { key, order, reason });
  }

  /**
   * Logs and emits a failure; the caller's promise carries it too (I6). A failure of the caller's
   * input or timing logs at `warn`; anything that may leave a position unprotected at `error`.
   */
  error(error: TrailingStopError, context: ErrorContext): void {
    const level = callerSide.has(error.code) ? 'warn' : 'error';
    this.logger[level](error.message, { code: error.code, key: context.key, operation: context.operation });
    // eventemitter3 drops an unheard `error`; the caller's promise carries it too (I6).
    this.events.emit('error', { error, ...context });
  }
}
