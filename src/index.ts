/**
 * trailing-stop-registry: one protective trailing stop per open position, created exactly once
 * under races, moved on the exchange as price runs, never loosened, never orphaned.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export type * from './ports/order-placer.js';
export type * from './ports/state-store.js';
export type { Clock } from './ports/clock.js';
export { systemClock } from './ports/clock.js';
export type { Logger, ObjectFirstLogger } from './ports/logger.js';
export { silentLogger, objectFirstLogger } from './ports/logger.js';
export type * from './policy/parameters.js';
export { defaultTrailingParameters } from './policy/parameters.js';
export { MemoryStateStore } from './stores/memory.js';
export { PaperExchange } from './placers/paper.js';
export type { PaperCall, PaperExchangeOptions, PaperFault, PaperOperation } from './placers/paper.js';
export { takeOverExpiredClaim, isExpiredClaim } from './recovery/lease.js';
export { TrailingStopRegistry } from './registry/registry.js';
export type { CreateOptions, RegistryStats, RemoveOptions } from './registry/registry.js';
export type { ReconcileOptions, ReconcileReport, RestoreReport } from './recovery/reconciler.js';
export type { TrailingStopRegistryOptions } from './registry/options.js';
export type { RateLimit, RequestPriority } from './exchange/order-budget.js';
export type { CreateStopSpec } from './policy/create-spec.js';
export { TrailingStop } from './stop/trailing-stop.js';
export type { TrailingStopSnapshot } from './stop/trailing-stop.js';
export type * from './events.js';
export type { RetryOptions } from './exchange/gateway.js';
export { roundToTick, tickDecimals, isOnTick } from './policy/tick.js';
export { findRecordProblem } from './recovery/record-validation.js';
export { replayCandles } from './policy/replay.js';
export type { Candle, ReplayExit, ReplayOptions, ReplayOrder, ReplayResult, ReplaySpec } from './policy/replay.js';
