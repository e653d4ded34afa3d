/**
 * Leases on pending claims. A registry that claims a key holds it until `leaseExpiresAt`; if it
 * crashes, another registry may take the claim over after expiry, through a compare-and-set on the
 * version, so two takers can never both win and a live claim is never stolen.
 */
import type { StateStore, StopRecord } from '../ports/state-store.js';

/**
 * Takes over the pending claim on `key` if its lease expired before `now`. Resolves the new record
 * (owned by `owner`, lease until `now + leaseMs`) or `undefined` when there is nothing to take
 * over: no record, not pending, lease still live, or another taker won the compare-and-set.
 * With `reclaimOwn`, a pending claim already owned by `owner` is taken back even while live.
 */
export async function takeOverExpiredClaim(
  store: StateStore,
  key: string,
  owner: string,
  now: number,
  leaseMs: number,
  options: { readonly reclaimOwn?: boolean } = {},
): Promise<StopRecord | undefined> {
  const current = await store.load(key);
  if (current === undefined) return undefined;
  // A registry restarted under the same owner id may resume its own claim at once.
  const own = options.reclaimOwn === true && current.state === 'pending' && current.owner === owner;
  if (!own && !isExpiredClaim(current, now)) return undefined;
  const next: StopRecord = {
    ...current,
    version: current.version + 1,
    owner,
    leaseExpiresAt: now + leaseMs,
    updatedAt: now,
  };
  const result = await store.compareAndSet(next, current.version);
  return result.updated ? result.record : undefined;
}

/** True when `record` is a pending claim whose lease ended at or before `now`. */
export function isExpiredClaim(record: StopRecord, now: number): boolean {
  return record.state === 'pending' && record.leaseExpiresAt !== null && record.leaseExpiresAt <= now;
}
