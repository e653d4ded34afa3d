/** Checks every store adapter applies before writing, so a programming error never persists. */
import type { StopRecord } from '../ports/state-store.js';
import { StoreError } from '../errors.js';

/**
 * Throws a {@link StoreError} unless `record` has a non-empty key and an integer version >= 1
 * (and, for a compare-and-set, exactly `expectedVersion + 1`).
 */
export function assertRecordShape(record: StopRecord, expectedVersion?: number): void {
  if (typeof record.key !== 'string' || record.key.length === 0) {
    throw new StoreError(`Expected record \`key\` to be a non-empty string, got \`${String(record.key)}\``);
  }
  if (!Number.isSafeInteger(record.version) || record.version < 1) {
    throw new StoreError(`Expected record \`version\` to be an integer >= 1, got \`${String(record.version)}\``, {
      key: record.key,
    });
  }
  if (expectedVersion !== undefined && record.version !== expectedVersion + 1) {
    throw new StoreError(
      `Expected the next version to be ${expectedVersion + 1} (expected version + 1), got ${record.version}`,
      { key: record.key },
    );
  }
}
