/**
 * The registry's `rateLimit` option: a venue's request limit (the weight of each operation, how a
 * short budget is spent) and its validation with defaults filled in. The {@link OrderBudget}
 * enforces it.
 */
import type { PlacerCapabilities } from '../ports/order-placer.js';
import { describeValue } from '../domain/validation.js';

/** The venue operations the gateway sends, by the names the budget weighs them. */
export type VenueOperation = 'placeStop' | 'cancelStop' | 'amendStop' | 'findStop' | 'openStops' | 'placeTrailingStop' | 'closePosition';

/** Every venue operation (a `Record`, so an operation missing here fails to compile). */
const operationTemplate: Readonly<Record<VenueOperation, true>> = {
  placeStop: true,
  cancelStop: true,
  amendStop: true,
  findStop: true,
  openStops: true,
  placeTrailingStop: true,
  closePosition: true,
};

/** Every venue operation, in a fixed order. */
export const venueOperations: readonly VenueOperation[] = Object.keys(operationTemplate) as VenueOperation[];

/** A venue's request limit, as a placer declares it (`capabilities.rateLimit`). */
export type VenueRateLimit = NonNullable<PlacerCapabilities['rateLimit']>;

/** The registry's `rateLimit` option: a venue limit, and how to spend it. */
export interface RateLimit extends VenueRateLimit {
  /**
   * How a short budget is spent: `risk` (default) by the priority rule of {@link RequestPriority},
   * and a waiting move sends its stop's latest target; `arrival`: first come, first served, each
   * request sent as it was made (a plain rate limiter, kept as the benchmarks' baseline).
   */
  readonly order?: 'risk' | 'arrival';
}

/** A {@link RateLimit} with its defaults filled in. */
export interface ResolvedRateLimit {
  /** Requests (weighted) allowed in any window of `intervalMs`. */
  readonly requests: number;
  /** Length of the sliding window, in ms. */
  readonly intervalMs: number;
  /** What each operation weighs (default 1). */
  readonly weights: Readonly<Record<VenueOperation, number>>;
  /** How a short budget is spent (default `risk`). */
  readonly order: 'risk' | 'arrival';
}

/**
 * Validates a rate limit (the registry option, or a placer's declared default) and fills in its
 * defaults: every operation weighs 1, order `risk`. `name` prefixes the fields in messages.
 *
 * @throws TypeError for a wrong type or an unknown field, RangeError for a value out of range,
 *   naming the field (`rateLimit.requests`).
 */
export function resolveRateLimit(value: unknown, name = 'rateLimit'): ResolvedRateLimit {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`${name}\` to be an object such as { requests: 50, intervalMs: 1000 }, got ${describeValue(value)}`);
  }
  const input = value as Record<string, unknown>;
  refuseUnknown(input, ['requests', 'intervalMs', 'weights', 'order'], name);
  const requests = positiveInteger(`${name}.requests`, input.requests);
  const intervalMs = positiveInteger(`${name}.intervalMs`, input.intervalMs);
  const weights: Record<VenueOperation, number> = { ...operationWeightsOfOne };
  if (input.weights !== undefined) {
    const given = input.weights;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw new TypeError(`Expected \`${name}.weights\` to be an object of operation to weight, got ${describeValue(given)}`);
    }
    refuseUnknown(given as Record<string, unknown>, venueOperations, `${name}.weights`);
    for (const [operation, weight] of Object.entries(given)) {
      if (weight === undefined) continue;
      const field = `${name}.weights.${operation}`;
      if (typeof weight !== 'number' || Number.isNaN(weight)) throw new TypeError(`Expected \`${field}\` to be a number, got ${describeValue(weight)}`);
      if (!Number.isInteger(weight) || weight < 0 || weight > requests) {
        throw new RangeError(`Expected \`${field}\` to be an integer in [0, ${requests}] (\`${name}.requests\`), got ${describeValue(weight)}`);
      }
      weights[operation as VenueOperation] = weight;
    }
  }
  const order = input.order ?? 'risk';
  if (order !== 'risk' && order !== 'arrival') {
    throw new TypeError(`Expected \`${name}.order\` to be 'risk' or 'arrival', got ${describeValue(order)}`);
  }
  return { requests, intervalMs, weights, order };
}

const operationWeightsOfOne: Readonly<Record<VenueOperation, number>> = Object.fromEntries(
  venueOperations.map((operation) => [operation, 1]),
) as Record<VenueOperation, number>;

function refuseUnknown(input: Record<string, unknown>, known: readonly string[], name: string): void {
  const unknown = Object.keys(input).filter((field) => !known.includes(field));
  if (unknown.length === 0) return;
  throw new TypeError(`Unknown field${unknown.length === 1 ? '' : 's'} ${unknown.map((field) => `\`${name}.${field}\``).join(', ')}; known: ${known.join(', ')}`);
}

function positiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`Expected \`${field}\` to be a number, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected \`${field}\` to be an integer >= 1, got ${describeValue(value)}`);
  return value;
}
