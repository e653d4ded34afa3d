/** Shared helpers of the policy tests: resolve a spec as `registry.create()` does, open a position. */
import { validateCreateSpec, type CreateStopSpec, type ValidatedSpec } from '../../src/policy/create-spec.js';
import type { OrderPlacer } from '../../src/ports/order-placer.js';
import type { TrailingParameters } from '../../src/policy/parameters.js';
import { advancePolicy, createPolicyState, updateAtr, type PolicyState } from '../../src/policy/policy.js';
import type { ResolvedTrailingParameters } from '../../src/policy/parameters.js';

/** A placer that allows every mode; the policy tests never call it. */
export const idlePlacer: OrderPlacer = {
  placeStop: () => Promise.reject(new Error('not used')),
  cancelStop: () => Promise.resolve(),
  closePosition: () => Promise.resolve(),
};

/** A spec with test defaults for the fields the policy does not read. */
export type TestSpec = Partial<CreateStopSpec> & Pick<CreateStopSpec, 'side'>;

/** Validates and resolves `spec` as `registry.create()` does (entry 100 unless given). */
export function resolveSpec(spec: TestSpec, defaults: TrailingParameters = {}): ValidatedSpec {
  return validateCreateSpec({ symbol: 'TEST', quantity: 1, entryPrice: 100, ...spec }, defaults);
}

/** An open position's policy, fed its entry price first (as the registry does at creation). */
export interface OpenPosition {
  readonly state: PolicyState;
  readonly parameters: ResolvedTrailingParameters;
  /** Flags of the entry price. */
  readonly entryFlags: number;
  /** Feeds one price; returns the flags. */
  feed(price: number): number;
  /** Feeds a new ATR; returns the flags. */
  atr(atr: number): number;
  /** The stop price, or null. */
  stop(): number | null;
}

export function openPosition(spec: TestSpec, defaults: TrailingParameters = {}): OpenPosition {
  const validated = resolveSpec(spec, defaults);
  const parameters = validated.parameters;
  const state = createPolicyState(validated.side, validated.entryPrice, parameters, validated.initialStopPrice);
  const entryFlags = advancePolicy(state, parameters, validated.entryPrice);
  return {
    state,
    parameters,
    entryFlags,
    feed: (price) => advancePolicy(state, parameters, price),
    atr: (atr) => updateAtr(state, parameters, atr),
    stop: () => stopOf(state),
  };
}

/** The stop price of `state`, or null while there is none. */
export function stopOf(state: PolicyState): number | null {
  return state.stopPrice === state.stopPrice ? state.stopPrice : null;
}
