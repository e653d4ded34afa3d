/** What the commands share about the records they read: order, soundness, and which are over. */
import type { StopRecord } from '../ports/state-store.js';
import { findRecordProblem } from '../recovery/record-validation.js';

/** A record as read back from the store, with what is wrong with it (if anything). */
export interface ReadRecord {
  /** The record; a damaged row holds its columns only. */
  readonly record: StopRecord;
  /** What makes the registry skip it on restore, or `undefined` when it is sound. */
  readonly problem: string | undefined;
}

/** `records` sorted by key (stable output for diffs and scripts), each with its problem. */
export function readRecords(records: readonly StopRecord[]): ReadRecord[] {
  return [...records]
    .sort((a, b) => (String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0))
    .map((record) => ({ record, problem: findRecordProblem(record) }));
}

/**
 * True for a sound record no registry will act on again: triggered, or failed without an order
 * on the venue. A failed record that still has an order keeps it (the previous stop stays), so it
 * is not pruned; neither is an unreadable record, whose state cannot be trusted.
 */
export function isPrunable({ record, problem }: ReadRecord): boolean {
  if (problem !== undefined) return false;
  return record.state === 'triggered' || (record.state === 'failed' && record.order === null);
}
