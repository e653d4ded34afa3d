/**
 * Conformance suites for adapters (vitest): run them on your own `StateStore` or `OrderPlacer`.
 * Fault-injecting decorators for any placer or store, driven by schedules that are plain data, to
 * test a bot (or an adapter) under the faults of a real venue and database.
 *
 * @packageDocumentation
 */
export * from './state-store-suite.js';
export * from './order-placer-suite.js';
export * from './fault-schedule.js';
export * from './faulty-placer.js';
export * from './faulty-store.js';
