/**
 * Conformance suites for adapters (vitest): run them on your own `StateStore` or `OrderPlacer`.
 *
 * @packageDocumentation
 */
export * from './state-store-suite.js';
export * from './order-placer-suite.js';
