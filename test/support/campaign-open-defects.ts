/**
 * Defects the fault campaign found that are not fixed yet. Each has a replay test in
 * test/registry/campaign.replay.test.ts (`it.fails` while open) and, here, the narrowest pattern
 * of the problems it causes, so the CI properties stay green and keep every other check. When a
 * fix lands, its replay test turns red: make it a plain `it`, and delete its entry here.
 */

/** One open defect: its replay test's id, and the problems it explains. */
export interface OpenDefect {
  readonly id: string;
  readonly excuse: RegExp;
}

/** See the module comment. */
export const openDefects: readonly OpenDefect[] = [
  // N34 (not shrunk; was hidden under N9's excuse, which N9's fix no longer needs): the record's
  // order is cancelled on the venue and nothing places it again. One shape (soak seed 145, no order
  // stream): a removal's cancel takes effect, its answer and the look-up are lost, the removal
  // rejects, and the stop stays live naming the cancelled order.
  { id: 'N34', excuse: /^\[I2\] \w+: the record's order is cancelled on the venue, the position has no stop/ },
  // N29: a fill reported while a restarted registry restores is lost: the record stays live.
  { id: 'N29', excuse: /^\[I2\] \w+: the record's order is filled on the venue, the position has no stop/ },
  // N30 (not shrunk yet; found at the CI seed on the lead's last commits): with a placement that
  // timed out after taking effect, a lost order and store loads that fail or lag, across three
  // registries, one live order is left whose key has no record at all (its record deleted while
  // the order rested): a first order, or a move's. Only that shape, with the store empty for the key.
  { id: 'N30', excuse: /^\[I2\] \w+: live order\(s\) paper-\d+ \(tsr-\w+-\w+-\w+\) at [\d.]+ that no record holds(, its record deleted while it rested)?; the store has no record$/ },
];

/** Matches every problem an open defect explains (each pattern on its own: some use backreferences). */
export const openDefectExcuse: Excuse | undefined =
  openDefects.length === 0 ? undefined : { test: (problem) => openDefects.some((defect) => defect.excuse.test(problem)) };

/** What a run does not report: a test of one problem's text (a `RegExp` is one). */
export interface Excuse {
  test(problem: string): boolean;
}

/** Every open defect but `id`: a replay of that defect must still see it. */
export function excuseAllBut(id: string): Excuse {
  return { test: (problem) => openDefects.some((defect) => !defect.id.split(', ').includes(id) && defect.excuse.test(problem)) };
}
