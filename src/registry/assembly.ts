/**
 * Builds the registry's collaborators and wires them to one another, once, at construction: each
 * gets the few others it talks to, through their named interfaces. The facade then only delegates.
 */
import type { EventEmitter } from 'eventemitter3';
import type { OrderPlacer } from '../ports/order-placer.js';
import type { StateStore } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { RegistryEvents } from '../events.js';
import { ClosedError } from '../errors.js';
import { ExchangeGateway } from '../exchange/gateway.js';
import { StopBook } from '../stop/stop-book.js';
import { Reconciler } from '../recovery/reconciler.js';
import type { ResolvedRegistryOptions } from './options.js';
import { CreationProtocol } from './creation.js';
import { OrderUpdates } from './order-updates.js';
import { OwedWork } from './owed-work.js';
import { PriceFanOut } from './price-fan-out.js';
import { RecordWriter } from './record-writer.js';
import { Reporter } from './reporter.js';
import { RegistryCounters } from './stats.js';
import { StopEndings } from './stop-endings.js';
import { StopFactory } from './stop-factory.js';
import { StoreChanges } from './store-changes.js';
import { guardStore } from './store-guard.js';
import { TriggerConfirmation } from './trigger-confirmation.js';
import { WorkTracker } from './work-tracker.js';
import type { StopEntry } from '../stop/stop-entry.js';

/** What the registry's collaborators are built from. */
export interface AssemblyInput {
  /** The registry, as the emitter of its events. */
  readonly events: EventEmitter<RegistryEvents>;
  readonly options: ResolvedRegistryOptions;
  readonly placer: OrderPlacer;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  /** True once the registry closed. */
  readonly closed: () => boolean;
  /** True once the registry's close() finished: no port call may go out any more. */
  readonly finished: () => boolean;
}

/** The registry's collaborators, wired. */
export interface Collaborators {
  readonly counters: RegistryCounters;
  readonly reporter: Reporter;
  readonly work: WorkTracker;
  readonly book: StopBook;
  readonly gateway: ExchangeGateway;
  readonly owed: OwedWork;
  readonly writer: RecordWriter;
  readonly endings: StopEndings;
  readonly creation: CreationProtocol;
  readonly prices: PriceFanOut;
  readonly updates: OrderUpdates;
  readonly storeChanges: StoreChanges;
  readonly reconciler: Reconciler;
}

/** Builds and wires the collaborators; see the module comment. */
export function assembleCollaborators(input: AssemblyInput): Collaborators {
  const { events, options: resolved, placer, clock, logger, random, closed, finished } = input;
  // Every collaborator sees the store through the guard: nothing touches it after close().
  const store = guardStore(input.store, finished);
  const owner = resolved.owner;
  const counters = new RegistryCounters();
  const work = new WorkTracker();
  const book = new StopBook();
  const reporter = new Reporter(events, logger, counters);
  const gateway = new ExchangeGateway({
    placer,
    concurrency: resolved.concurrency,
    rateLimit: resolved.rateLimit,
    timeoutMs: resolved.timeoutMs,
    retry: resolved.retry,
    clock,
    random,
    track: (late) => work.track(late),
    onLateOrderCancelled: (order, key) => reporter.compensated(key, order, 'late-answer'),
    closed,
    finished,
    onLateOrderLeft: (order, key) =>
      reporter.error(
        new ClosedError(
          `A placement for \`${key}\` answered after close() with order ${order.id} (${order.clientOrderId ?? 'no client id'}); ` +
            'it is left on the venue for the next reconcile, whose orphan sweep cancels it',
        ),
        { key, operation: 'compensate' },
      ),
    onTimeout: (operation, key) => logger.warn('Exchange call timed out; outcome unknown', { operation, key }),
  });
  const owed = new OwedWork({ clock, random, timeoutMs: resolved.timeoutMs, retry: resolved.retry, work });
  const writer = new RecordWriter({ store, clock, owner, gateway, reporter, owed, work });
  // The order updates are built after the endings and creation that tell them of new orders.
  let updates: OrderUpdates | undefined;
  const placed = (entry: StopEntry): void => updates?.afterPlaced(entry);
  const endings = new StopEndings({ book, store, clock, owner, placer, gateway, writer, reporter, work, placed });
  const factory = new StopFactory({
    clock,
    random,
    owner,
    clientOrderIdPrefix: resolved.clientOrderIdPrefix,
    sync: { gateway, clock, persistence: writer, outcomes: endings, work },
  });
  const storeChanges = new StoreChanges({ store, book, writer, endings, reporter, work, clock, rewatchMs: resolved.retry.baseDelayMs || 250, owner });
  const creation = new CreationProtocol({
    book,
    store,
    clock,
    gateway,
    owner,
    leaseMs: resolved.leaseMs,
    claimPollMs: resolved.claimPollMs,
    revalidateAfterMs: resolved.revalidateAfterMs,
    watching: () => storeChanges.watching,
    factory,
    writer,
    endings,
    reporter,
    work,
    closed,
    placed,
  });
  updates = new OrderUpdates({
    book,
    gateway,
    endings,
    reporter,
    clock,
    onExternalCancel: resolved.onExternalCancel,
    resubscribeMs: resolved.retry.baseDelayMs || 250,
    writer,
    work,
    graceMs: resolved.confirmTriggerMs,
  });
  const confirmation = new TriggerConfirmation({
    gateway,
    clock,
    endings,
    reporter,
    work,
    writer,
    confirmTriggerMs: resolved.confirmTriggerMs,
    onExternalCancel: resolved.onExternalCancel,
    watching: () => updates!.watching,
    closed,
  });
  const prices = new PriceFanOut(book, endings, reporter, confirmation);
  const reconciler = new Reconciler({
    store,
    gateway,
    clock,
    logger,
    owner,
    leaseMs: resolved.leaseMs,
    clientOrderIdPrefix: resolved.clientOrderIdPrefix,
    book,
    entries: factory,
    writes: writer,
    endings,
    reports: {
      reconciled: (event) => {
        const level = event.action === 'mismatch' || event.action === 'gap' ? 'error' : event.action === 'replaced' || event.action === 'orphanCancelled' ? 'warn' : 'info';
        logger[level]('Reconciled', { key: event.key, action: event.action, detail: event.detail });
        events.emit('reconciled', event);
      },
      corrupt: (event) => events.emit('corruptRecord', event),
      error: (error, context) => reporter.error(error, context),
    },
  });
  return { counters, reporter, work, book, gateway, owed, writer, endings, creation, prices, updates, storeChanges, reconciler };
}
