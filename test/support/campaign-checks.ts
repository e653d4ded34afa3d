/**
 * The fault campaign's invariants (docs/design.md section 3), checked after every command
 * ({@link checkAlways}) and at every quiescence ({@link checkQuiescence}). Each problem names its
 * invariant in brackets, so a failure says what broke:
 * - `[I1]` concurrent creations of one spec on one registry resolve to one stop object;
 * - `[I2]` no orphan: every live venue order is the order its key's record holds; every protected
 *   record's order is live on the venue, at the record's price and size; no claim left pending;
 * - `[I4]` the registry that wrote a record holds exactly it; no registry is ahead of the store;
 * - `[I5]` (also in the monitors) a stop object never loosens;
 * - `[I6]` every rejection is a typed error the registry also emitted as an `error` event; a
 *   creation that resolved left its position protected; a removal that resolved left nothing;
 * - `[I8]` bad input rejects with `ERR_VALIDATION` before any scheduler step (before any I/O);
 * - `[close]` a closed registry refuses work and makes no port call after `close()` resolved;
 * - `[create]` a creation never resolves with a stop that contradicts its spec;
 * - `[failed]` a stop that failed keeps its previous order on the venue.
 * With `strict` (after the final heal) nothing is excused; otherwise orphans and unprotected
 * records are excused while a crash or a lost order waits for the heal.
 */
import { isTrailingStopError, type StopOrder, type StopRecord, type TrailingStopErrorCode } from '../../src/index.js';
import { clientOrderIdBaseOf } from '../../src/domain/client-order-id.js';
import { campaignKeys, type CampaignStop, type Operation, type World } from './campaign-world.js';

const liveStates = new Set(['waiting', 'active']);

/** After every command: what the monitors saw, and no stop object loosened (I5 in memory). */
export function checkAlways(world: World): void {
  world.violations.throwIfAny(world.excuse);
  if (!world.variant.memoryView) return;
  for (const slot of world.slots) {
    for (const incarnation of slot.incarnations) {
      if (incarnation.dead) continue;
      for (const key of campaignKeys) {
        const stop = incarnation.registry.get(key);
        if (stop === undefined || stop.stopPrice === null) continue;
        const before = incarnation.tightest.get(stop);
        if (before !== undefined && (stop.side === 'long' ? stop.stopPrice < before : stop.stopPrice > before)) {
          throw new Error(`[I5 memory] ${incarnation} ${key} (${stop.positionId}) loosened from ${before} to ${stop.stopPrice}`);
        }
        incarnation.tightest.set(stop, stop.stopPrice);
      }
    }
  }
}

/** At quiescence: every invariant; throws one error listing every problem found. */
export async function checkQuiescence(world: World, strict: boolean): Promise<void> {
  world.violations.throwIfAny(world.excuse);
  const problems = operationProblems(world);
  const records = new Map<string, StopRecord | undefined>();
  for (const key of campaignKeys) records.set(key, await world.store.load(key));
  problems.push(...venueProblems(world, records, strict));
  if (world.variant.memoryView) problems.push(...memoryProblems(world, records));
  problems.push(...modelProblems(world, records, strict));
  problems.push(...closeProblems(world));
  problems.push(...unhandledProblems(world));
  report(world, problems);
}

/** Rejections nobody handled: each one would end a Node process that runs with the defaults. */
function unhandledProblems(world: World): string[] {
  return world.unhandled.splice(0).map((reason) => `[I6] unhandled rejection (a Node process exits on it): ${describeError(reason)}`);
}

/** Throws the problems not excused. */
function report(world: World, problems: readonly string[]): void {
  const excuse = world.excuse;
  const left = excuse === undefined ? problems : problems.filter((problem) => !excuse.test(problem));
  if (left.length > 0) throw new Error(left.join('\n'));
}

/** The operation checks alone (during the heal). */
export function checkOperations(world: World): void {
  world.violations.throwIfAny(world.excuse);
  report(world, [...operationProblems(world), ...closeProblems(world)]);
}

/** Codes that refuse a call rather than report a failure: no `error` event is owed for them (outside `create`). */
const refusals = new Set<TrailingStopErrorCode>(['ERR_VALIDATION', 'ERR_CLOSED', 'ERR_NOT_FOUND']);

function describeError(error: unknown): string {
  return isTrailingStopError(error) ? `${error.code} (${error.message})` : String(error);
}

/**
 * True when the operation's incarnation emitted, since the operation started, an `error` event for
 * the failure: the error itself, one with its code and key, or (for a key) any error of that key:
 * a failed move emits the venue's error while `resize()` rejects with its own.
 */
function reported(operation: Operation, error: unknown, key: string | undefined): boolean {
  if (!isTrailingStopError(error)) return false;
  return operation.incarnation.errors.slice(operation.errorsAtStart).some(
    (event) =>
      event.error === error ||
      (event.error.code === error.code && (key === undefined || event.context.key === undefined || event.context.key === key)) ||
      (key !== undefined && event.context.key === key),
  );
}

function operationProblems(world: World): string[] {
  const problems: string[] = [];
  const batch = world.batch;
  for (const operation of batch) {
    const { outcome, incarnation } = operation;
    if (outcome.status === 'pending') continue; // its incarnation crashed
    const name = `${incarnation} ${operation.command}${operation.spec === undefined ? '' : ` (${operation.key})`}`;
    if (operation.afterClose && operation.kind !== 'close') {
      if (outcome.status === 'resolved' || !isTrailingStopError(outcome.error) || outcome.error.code !== 'ERR_CLOSED') {
        problems.push(`[close] ${name} started after close() and ${outcome.status === 'resolved' ? 'resolved' : `rejected with ${describeError(outcome.error)}`}`);
      }
      continue;
    }
    if (operation.kind === 'create' && operation.valid === false) {
      if (outcome.status === 'resolved' || !isTrailingStopError(outcome.error) || outcome.error.code !== 'ERR_VALIDATION') {
        problems.push(`[I8] ${name}: bad input ${outcome.status === 'resolved' ? 'was accepted' : `rejected with ${describeError(outcome.error)}`}`);
      } else if (!operation.viaMany && operation.settledAtStep !== operation.startedAtStep) {
        problems.push(`[I8] ${name}: bad input rejected only after ${operation.settledAtStep! - operation.startedAtStep} scheduler steps (after I/O)`);
      }
    }
    if (outcome.status === 'rejected') {
      const error = outcome.error;
      if (!isTrailingStopError(error)) {
        problems.push(`[I6] ${name} rejected with an untyped error: ${String(error)}`);
        continue;
      }
      const owed = operation.kind === 'create' ? error.code !== 'ERR_CLOSED' : !refusals.has(error.code);
      if (owed && !reported(operation, error, operation.key)) {
        problems.push(`[I6] ${name} rejected with ${describeError(error)} but no \`error\` event reported it`);
      }
      continue;
    }
    if (operation.kind === 'create' && operation.valid === true) {
      const stop = outcome.value as CampaignStop;
      const spec = operation.spec!;
      const resized = batch.some((other) => other.kind === 'resize' && other.key === operation.key);
      const contradictions = [
        stop.side !== spec.side ? `side ${stop.side}` : undefined,
        stop.entryPrice !== spec.entryPrice ? `entry ${stop.entryPrice}` : undefined,
        stop.quantity !== spec.quantity && !resized ? `quantity ${stop.quantity}` : undefined,
        spec.positionId !== undefined && stop.positionId !== spec.positionId ? `position ${stop.positionId}` : undefined,
      ].filter((item) => item !== undefined);
      if (contradictions.length > 0) {
        problems.push(
          `[create] ${name} asked for ${spec.side} ${spec.quantity} at ${spec.entryPrice} and resolved with a ${stop.state} stop of ${contradictions.join(', ')}`,
        );
      }
    }
  }
  problems.push(...singleFlightProblems(batch));
  return problems;
}

/** I1: creations of one spec on one incarnation, with nothing else touching the key, share one stop object. */
function singleFlightProblems(batch: readonly Operation[]): string[] {
  const problems: string[] = [];
  const groups = new Map<string, Operation[]>();
  for (const operation of batch) {
    if (operation.kind !== 'create' || operation.valid !== true || operation.outcome.status !== 'resolved') continue;
    const group = `${operation.incarnation}|${JSON.stringify(operation.spec)}`;
    groups.set(group, [...(groups.get(group) ?? []), operation]);
  }
  for (const operations of groups.values()) {
    const first = operations[0]!;
    const disturbed = batch.some(
      (other) =>
        other.key === first.key &&
        ((other.kind === 'create' && JSON.stringify(other.spec) !== JSON.stringify(first.spec)) || other.kind === 'remove'),
    );
    if (disturbed) continue;
    const stops = new Set(operations.map((operation) => (operation.outcome as { value: unknown }).value));
    if (stops.size > 1) {
      problems.push(`[I1] ${operations.length} creations of one spec for ${first.key} on ${first.incarnation} resolved to ${stops.size} different stop objects`);
    }
  }
  return problems;
}

/** What the orphans are to the record: another position's, or older orders of its own position. */
function orphanKind(orphans: readonly StopOrder[], record: StopRecord | undefined): string {
  if (record === undefined) return '';
  const base = clientOrderIdBaseOf(record.clientOrderId);
  if (orphans.some((order) => clientOrderIdBaseOf(order.clientOrderId) !== base)) return ", another position's";
  const older = orphans.every((order) => sequenceOf(order.clientOrderId) < record.sequence);
  return older ? ", older orders of the record's position" : '';
}

/** The sequence number a client order id ends with (base 36). */
function sequenceOf(clientOrderId: string): number {
  return Number.parseInt(clientOrderId.slice(clientOrderId.lastIndexOf('-') + 1), 36);
}

function describeRecord(record: StopRecord | undefined): string {
  if (record === undefined) return 'no record';
  const order = record.order === null ? 'no order' : `order ${record.order.id} (${record.order.clientOrderId}) at ${record.order.stopPrice} x ${record.order.quantity}`;
  return `${record.state} v${record.version} of ${record.owner} (${record.positionId}, ${record.side} ${record.quantity}, stop ${record.stopPrice}, ${order})`;
}

function venueProblems(world: World, records: Map<string, StopRecord | undefined>, strict: boolean): string[] {
  const problems: string[] = [];
  const crashExcused = !strict && world.crashedSinceHeal;
  // Without an order stream only reconciliation can notice a lost order; with one, the registry must.
  const lossExcused = !strict && world.lostSinceHeal && !world.setup.stream;
  const everything = world.venue.allOrders();
  for (const key of campaignKeys) {
    const record = records.get(key);
    const live = world.venue.liveOrders(key);
    const where = strict ? `${key} (after the heal)` : key;
    const orphans = live.filter((order) => order.id !== record?.order?.id);
    if (orphans.length > 0 && !crashExcused) {
      const listed = orphans.map((order) => `${order.id} (${order.clientOrderId}) at ${order.stopPrice}`).join(', ');
      const deletedLive = orphans.some((order) => world.storeMonitor.deletedWhileLive.has(order.id)) ? ', its record deleted while it rested' : '';
      problems.push(`[I2] ${where}: live order(s) ${listed} that no record holds${orphanKind(orphans, record)}${deletedLive}; the store has ${describeRecord(record)}`);
    }
    if (record === undefined) continue;
    if (record.state === 'pending') {
      // A registry that closed gave its owed cleanup one last attempt and stopped: what it left is
      // what a crash leaves, and the claim's lease hands it over (the heal checks strictly).
      const ownerClosed = !strict && world.slots.some((slot) => slot.owner === record.owner && slot.current.closed);
      if (!crashExcused && !ownerClosed) problems.push(`[I2] ${where}: claim left pending at quiescence: ${describeRecord(record)}`);
      continue;
    }
    const order = record.order === null ? undefined : everything.find((placed) => placed.id === record.order!.id);
    const excused = crashExcused || lossExcused;
    if (liveStates.has(record.state)) {
      if (record.stopPrice !== null && record.order === null && !crashExcused) {
        problems.push(`[I2] ${where}: protected record without an order: ${describeRecord(record)}`);
      }
      if (record.order === null) continue;
      if (order === undefined) {
        problems.push(`[I2] ${where}: the record names an order the venue never had: ${describeRecord(record)}`);
      } else if (order.status !== 'open') {
        // Only a registry that manages the stop can notice a fill or a loss, a fill only through the
        // order stream (without one, reconciliation finalizes it; the position is flat meanwhile).
        const noticeable = order.status === 'cancelled' || world.setup.stream;
        if (!excused && noticeable && managed(world, record)) problems.push(`[I2] ${where}: the record's order is ${order.status} on the venue, the position has no stop: ${describeRecord(record)}`);
      } else if (order.stopPrice !== record.order.stopPrice || order.quantity !== record.order.quantity) {
        // A crashed process may have moved the order without writing it: the heal must catch up.
        if (!crashExcused) problems.push(`[I4 venue] ${where}: the venue holds ${order.id} at ${order.stopPrice} x ${order.quantity}; ${describeRecord(record)}`);
      } else if ((record.order.stopPrice !== record.stopPrice || record.order.quantity !== record.quantity) && !crashExcused) {
        problems.push(`[I2] ${where}: the venue did not converge to the stop: ${describeRecord(record)}`);
      }
    } else if (record.state === 'failed' && order?.status === 'cancelled' && !strict && !excused && !world.lostSinceHeal) {
      // (A filled order closed the position; a stop that failed after its order was lost by hand
      // has nothing left to keep; after the heal a failed record is history, and only orphans matter.)
      problems.push(`[failed] ${where}: the stop failed and its previous order is cancelled: ${describeRecord(record)}`);
    }
  }
  return problems;
}

/** True when a running registry holds the record's position as a live stop. */
function managed(world: World, record: StopRecord): boolean {
  return world.liveIncarnations().some((incarnation) => {
    const stop = incarnation.registry.get(record.key);
    return stop !== undefined && stop.positionId === record.positionId && liveStates.has(stop.state);
  });
}

function memoryProblems(world: World, records: Map<string, StopRecord | undefined>): string[] {
  const problems: string[] = [];
  for (const incarnation of world.liveIncarnations()) {
    for (const key of campaignKeys) {
      const stop = incarnation.registry.get(key);
      const record = records.get(key);
      if (stop === undefined || record === undefined || record.positionId !== stop.positionId || stop.state === 'closed') continue;
      const held = `${stop.state} v${stop.version} (order ${stop.order?.id ?? 'none'}, stop ${stop.stopPrice}, quantity ${stop.quantity})`;
      if (record.owner === incarnation.slot.owner && record.state !== 'pending') {
        const same =
          stop.version === record.version &&
          (stop.order?.id ?? null) === (record.order?.id ?? null) &&
          stop.state === record.state &&
          stop.stopPrice === record.stopPrice &&
          stop.quantity === record.quantity;
        // Same order and stop at an older version: the registry wrote a newer version than it holds.
        const behind = stop.version < record.version && (stop.order?.id ?? null) === (record.order?.id ?? null) && stop.stopPrice === record.stopPrice;
        if (!same) {
          const lostOrder = stop.version === record.version && stop.order === null && record.order !== null ? ' (memory lost the order the store names)' : '';
          problems.push(
            `[I4] ${incarnation} wrote ${key} last but holds ${held}${behind ? ' (behind its own newer write)' : ''}${lostOrder}; the store has ${describeRecord(record)}`,
          );
        }
      } else if (stop.version > record.version && !endedEarlierIncarnation(stop, record)) {
        problems.push(
          `[I4] ${incarnation} holds ${key} at a version ahead of the store: ${held}; the store has ${describeRecord(record)}${world.setup.watch ? '' : ' (no change feed)'}`,
        );
      }
    }
  }
  return problems;
}

/**
 * True when `stop` ended and is an earlier incarnation of the record's position (the position was
 * opened again under the same id): the ended stop is history, its own record gone, and the key's
 * record another stop (the library tells them apart by creation time), whose versions say nothing
 * about the ended one's. A live stop of another incarnation is still reported: it would write.
 */
function endedEarlierIncarnation(stop: CampaignStop, record: StopRecord): boolean {
  return (stop.state === 'triggered' || stop.state === 'failed') && stop.createdAt !== undefined && stop.createdAt < record.createdAt;
}

/**
 * What the model predicts from the batch: a creation that resolved (with no removal of the key and
 * one position intent in the batch) leaves its position protected; a removal that resolved (with no
 * creation of the key in the batch) leaves no record and no live order.
 */
function modelProblems(world: World, records: Map<string, StopRecord | undefined>, strict: boolean): string[] {
  const problems: string[] = [];
  const crashExcused = !strict && world.crashedSinceHeal;
  for (const key of campaignKeys) {
    const record = records.get(key);
    const touching = world.batch.filter((operation) => operation.key === key);
    const creations = touching.filter((operation) => operation.kind === 'create' && operation.valid === true);
    const removals = touching.filter((operation) => operation.kind === 'remove');
    const intents = new Set(creations.map((operation) => operation.spec!.positionId ?? 'generated'));
    // Without the store's change feed a registry learns that a stop ended elsewhere only when it
    // next acts on it (its documented fallback): a stop that may have ended in the batch is excused.
    const mayHaveEnded = !world.setup.watch && world.priced.has(key);
    if (removals.length === 0 && intents.size <= 1 && !mayHaveEnded) {
      for (const operation of creations) {
        if (operation.outcome.status !== 'resolved' || !operation.incarnation.live) continue;
        const stop = operation.outcome.value as CampaignStop;
        if (!liveStates.has(stop.state)) continue;
        const protectedHere = record !== undefined && record.positionId === stop.positionId && liveStates.has(record.state);
        if (!protectedHere) {
          problems.push(
            `[I6] ${operation.incarnation} ${operation.command} resolved with a ${stop.state} stop (${stop.positionId}, order ${stop.order?.id ?? 'none'}) but the store has ${describeRecord(record)}: the position is unprotected and nothing says so${world.setup.watch ? '' : ' (no change feed)'}`,
          );
        }
      }
    }
    const removed = removals.find((operation) => operation.outcome.status === 'resolved');
    if (removed !== undefined && creations.length === 0) {
      if (record !== undefined) problems.push(`[I2] ${key}: ${removed.incarnation} ${removed.command} resolved but the store still has ${describeRecord(record)}`);
      const live = world.venue.liveOrders(key);
      if (live.length > 0 && !crashExcused) {
        problems.push(`[I2] ${key}: ${removed.incarnation} ${removed.command} resolved but ${live.map((order) => order.id).join(', ')} stay live on the venue`);
      }
    }
  }
  return problems;
}

function closeProblems(world: World): string[] {
  const problems: string[] = [];
  for (const slot of world.slots) {
    for (const incarnation of slot.incarnations) {
      if (incarnation.callsAfterClose.length > 0) {
        problems.push(`[close] ${incarnation} made port calls after close() resolved: ${incarnation.callsAfterClose.slice(0, 6).join(', ')}`);
      }
    }
  }
  return problems;
}
