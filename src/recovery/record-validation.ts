/**
 * Checks a record read back from a store before the registry trusts it: a corrupt row (hand
 * edits, a bad migration, truncated JSON) is skipped and reported, never acted on.
 */
import type { StopRecord } from '../ports/state-store.js';

const states = new Set(['pending', 'waiting', 'active', 'triggered', 'failed']);
const distanceKinds = new Set(['percent', 'amount', 'ticks', 'atr', 'steps']);
const modes = new Set(['exchange', 'emulated', 'native']);

const isPositive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Returns what is wrong with `value` as a {@link StopRecord}, or `undefined` when it is sound. */
export function findRecordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const record = value as Record<string, unknown>;
  if (!isText(record.key)) return '`key` is not a non-empty string';
  if (!Number.isSafeInteger(record.version) || (record.version as number) < 1) return '`version` is not an integer >= 1';
  if (!isText(record.owner)) return '`owner` is not a non-empty string';
  if (record.leaseExpiresAt !== null && !isFiniteNumber(record.leaseExpiresAt)) return '`leaseExpiresAt` is not a number or null';
  if (!states.has(record.state as string)) return `\`state\` ${JSON.stringify(record.state)} is unknown`;
  if (!isText(record.symbol)) return '`symbol` is not a non-empty string';
  if (record.side !== 'long' && record.side !== 'short') return '`side` is not long or short';
  if (!isPositive(record.entryPrice)) return '`entryPrice` is not a positive number';
  if (!isPositive(record.quantity)) return '`quantity` is not a positive number';
  if (!isText(record.positionId)) return '`positionId` is not a non-empty string';
  if (!Number.isSafeInteger(record.sequence) || (record.sequence as number) < 1) return '`sequence` is not an integer >= 1';
  if (!isText(record.clientOrderId) || !record.clientOrderId.includes('-')) return '`clientOrderId` is malformed';
  if (record.stopPrice !== null && !isPositive(record.stopPrice)) return '`stopPrice` is not a positive number or null';
  if (!isPositive(record.bestPrice)) return '`bestPrice` is not a positive number';
  if (typeof record.activated !== 'boolean') return '`activated` is not a boolean';
  if (!Number.isSafeInteger(record.tierIndex) || (record.tierIndex as number) < -1) return '`tierIndex` is not an integer >= -1';
  if (record.order !== null) {
    const order = record.order as Record<string, unknown> | undefined;
    if (typeof order !== 'object' || order === null) return '`order` is not an object or null';
    if (!isText(order.id) || !isText(order.clientOrderId) || !isText(order.symbol)) return '`order` lacks id, clientOrderId or symbol';
    if (order.side !== 'buy' && order.side !== 'sell') return '`order.side` is not buy or sell';
    if (!isFiniteNumber(order.quantity) || !isFiniteNumber(order.stopPrice)) {
      return '`order` quantity or stopPrice is not a number';
    }
  }
  const parameters = record.parameters as Record<string, unknown> | undefined;
  if (typeof parameters !== 'object' || parameters === null) return '`parameters` is missing';
  if (!isPositive(parameters.activationPrice)) return '`parameters.activationPrice` is not a positive number';
  if (!distanceKinds.has(parameters.distanceKind as string)) return '`parameters.distanceKind` is unknown';
  if (!isPositive(parameters.distanceValue)) return '`parameters.distanceValue` is not a positive number';
  if (!isPositive(parameters.atrMultiplier)) return '`parameters.atrMultiplier` is not a positive number';
  if (!Array.isArray(parameters.steps)) return '`parameters.steps` is not an array';
  if (parameters.distanceKind === 'steps' && parameters.steps.length === 0) return '`parameters.steps` is empty';
  if (parameters.breakevenAtPercent !== null && !isPositive(parameters.breakevenAtPercent)) return '`parameters.breakevenAtPercent` is invalid';
  if (!isFiniteNumber(parameters.breakevenOffsetPercent)) return '`parameters.breakevenOffsetPercent` is invalid';
  if (parameters.tickSize !== null && !isPositive(parameters.tickSize)) return '`parameters.tickSize` is invalid';
  if (!modes.has(parameters.mode as string)) return '`parameters.mode` is unknown';
  for (const name of ['minUpdateIntervalMs', 'minImprovementPercent', 'emergencyImprovementPercent'] as const) {
    if (!isFiniteNumber(parameters[name])) return `\`parameters.${name}\` is not a number`;
  }
  if (typeof parameters.closeOnGap !== 'boolean') return '`parameters.closeOnGap` is not a boolean';
  if (!isFiniteNumber(record.createdAt) || !isFiniteNumber(record.updatedAt)) return '`createdAt` or `updatedAt` is not a number';
  return undefined;
}
