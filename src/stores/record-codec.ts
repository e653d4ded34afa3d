/**
 * How the SQL stores turn a {@link StopRecord} into a row and back. A row holds the whole record as
 * JSON text (`data`) next to a few columns the store itself needs (`key` and `version` for
 * compare-and-set) or that operators query (`owner`, `state`, `lease_expires_at`).
 *
 * JSON text round-trips every finite double exactly: `JSON.stringify` writes the shortest decimal
 * that parses back to the same double.
 */
import type { StopRecord } from '../ports/state-store.js';
import { StoreError } from '../errors.js';

/** A row as read from a SQL store; drivers may return numbers as strings (pg) or bigints. */
export interface StoredRow {
  readonly key: unknown;
  readonly version: unknown;
  readonly owner: unknown;
  readonly state: unknown;
  readonly lease_expires_at: unknown;
  readonly data: unknown;
}

/** The column values written for `record`, in the order the stores bind them. */
export interface EncodedRecord {
  readonly key: string;
  readonly version: number;
  readonly owner: string;
  readonly state: string;
  readonly leaseExpiresAt: number | null;
  readonly data: string;
}

/**
 * Serializes `record` for writing. Throws a {@link StoreError} for a number JSON cannot hold
 * (`NaN`, `Infinity`), which `JSON.stringify` would otherwise silently turn into `null`.
 */
export function encodeRecord(record: StopRecord): EncodedRecord {
  const data = JSON.stringify(record, (field, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new StoreError(
        `Expected every number in the record to be finite, got \`${String(value)}\` in field \`${field}\``,
        { key: record.key },
      );
    }
    return value;
  });
  return {
    key: record.key,
    version: record.version,
    owner: record.owner,
    state: record.state,
    leaseExpiresAt: record.leaseExpiresAt ?? null,
    data,
  };
}

/** The record a reader will get back for `encoded`: a fresh object parsed from the stored JSON. */
export function decodeEncoded(encoded: EncodedRecord): StopRecord {
  return JSON.parse(encoded.data) as StopRecord;
}

/**
 * Rebuilds a record from a row without ever throwing, so one damaged row cannot make `list()`
 * (and with it `restore()`) fail. The `key` and `version` columns win over the JSON body, because
 * they are what compare-and-set compares. When `data` is not a JSON object (corrupt text, edited
 * by hand), the result holds only the columns (`key`, `version`, `owner`, `state`,
 * `leaseExpiresAt`) and no other field; the registry's validation then reports it.
 */
export function decodeRow(row: StoredRow): StopRecord {
  const columns = {
    key: String(row.key),
    version: toNumber(row.version),
    owner: String(row.owner),
    state: String(row.state),
    leaseExpiresAt: row.lease_expires_at === null || row.lease_expires_at === undefined ? null : toNumber(row.lease_expires_at),
  };
  const body = parseObject(row.data);
  return (body === undefined ? columns : { ...body, key: columns.key, version: columns.version }) as StopRecord;
}

/** Parses `data` as a JSON object, or `undefined` when it is anything else. */
function parseObject(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

/**
 * Converts a numeric column value to a JS number: `pg` returns bigint columns as strings, and
 * better-sqlite3 returns integers as bigints when the user enabled safe integers.
 */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  return Number.NaN;
}

/** Wraps a driver failure in a {@link StoreError} naming the operation; store errors pass through. */
export function storeFailure(storeName: string, operation: string, error: unknown, key?: string): StoreError {
  if (error instanceof StoreError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const subject = key === undefined ? '' : ` for key \`${key}\``;
  return new StoreError(`${storeName}.${operation}${subject} failed: ${reason}`, {
    cause: error,
    ...(key === undefined ? {} : { key }),
  });
}
