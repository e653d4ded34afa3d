/**
 * Deterministic client order ids (docs/design.md section 4): derived from the key, the position
 * identity and a sequence number, so a retry after a timeout reuses the id and the venue
 * deduplicates it. Charset `[A-Za-z0-9_-]`, accepted by Binance, Bybit and most ccxt venues.
 *
 * Shape: `<prefix>-<key letters, up to 10>-<hash of key, position and creation, 10>-<sequence, base 36>`.
 */

/** Characters every supported venue accepts in a client order id. */
export const clientOrderIdPattern = /^[A-Za-z0-9_-]+$/;

/** Longest id when the placer declares nothing (Binance and Bybit: 36). */
export const defaultClientOrderIdMaxLength = 36;

const hashLength = 10;
const sequenceReserve = 4; // '-' plus up to 3 base-36 digits (46,655 orders per position)

/**
 * The part of a position's client order ids that does not change between orders: prefix, a
 * readable fragment of the key, and a hash of key, position id and `creation` (what tells this
 * creation from an earlier one of the same position id: a bot that reuses a position id for a
 * later position must not meet the earlier position's orders under the same ids). The claim
 * record stores the ids, so recovery never needs to derive them again.
 */
export function clientOrderIdBase(prefix: string, key: string, positionId: string, maxLength: number, creation = ''): string {
  const hash = hashText(creation === '' ? `${key}\u0000${positionId}` : `${key}\u0000${positionId}\u0000${creation}`);
  const room = maxLength - prefix.length - 1 - hashLength - 1 - sequenceReserve;
  const readable = clientOrderIdKeyFragment(key).slice(0, Math.max(0, room - 1));
  return readable.length > 0 ? `${prefix}-${readable}-${hash}` : `${prefix}-${hash}`;
}

/** The client order id of the `sequence`-th order (1-based) of a position. */
export function clientOrderIdFor(base: string, sequence: number): string {
  return `${base}-${sequence.toString(36)}`;
}

/** True when `clientOrderId` was made by a registry using `prefix`. */
export function hasClientOrderIdPrefix(clientOrderId: string, prefix: string): boolean {
  return clientOrderId.startsWith(`${prefix}-`);
}

/** The client order id without its sequence suffix (the base of its position's ids). */
export function clientOrderIdBaseOf(clientOrderId: string): string {
  const dash = clientOrderId.lastIndexOf('-');
  return dash < 0 ? clientOrderId : clientOrderId.slice(0, dash);
}

/** The sequence a client order id carries (after its base), parsed from base 36; NaN when none. */
export function clientOrderIdSequenceOf(clientOrderId: string): number {
  return Number.parseInt(clientOrderId.slice(clientOrderIdBaseOf(clientOrderId).length + 1), 36);
}

/** The readable fragment of `key` that the position's client order ids carry. */
export function clientOrderIdKeyFragment(key: string): string {
  return key.replace(/[^A-Za-z0-9]/g, '').slice(0, 10);
}

/** Two 32-bit FNV-1a hashes with different offsets, in base 36, cut to 10 characters. */
function hashText(text: string): string {
  let first = 0x811c9dc5;
  let second = 0x01000193 ^ 0x5bd1e995;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193);
    second = Math.imul(second ^ code, 0x01000193);
  }
  const digits = (first >>> 0).toString(36).padStart(7, '0') + (second >>> 0).toString(36).padStart(7, '0');
  return digits.slice(0, hashLength);
}
