/**
 * Client order ids as each venue takes them. The registry's ids (`[A-Za-z0-9_-]`, e.g.
 * `tsr-BTCUSDT-0a1b2c3d4e-1`) do not fit every venue (OKX: letters and digits only; BingX stores
 * ids lowercased; Hyperliquid: `0x` and 32 hex digits), so each profile declares a codec: a
 * deterministic, reversible transform. Deterministic, so a retry sends the same venue id and the
 * venue deduplicates it; reversible, so every order the placer returns carries the registry's own
 * id again, and lookups, adoption and the orphan sweep recognise it.
 */

/** How client order ids are written at one venue. */
export interface ClientOrderIdCodec {
  /**
   * Longest id the registry may use (`capabilities.clientOrderIdMaxLength`): every id of that
   * length or shorter in {@link characters} encodes within the venue's own limit.
   */
  readonly maxLength: number;
  /** Characters the registry may use (the length is checked separately). */
  readonly characters: RegExp;
  /** The venue's form of a registry id. */
  encode(clientOrderId: string): string;
  /**
   * The registry id a venue id encodes, or `undefined` when `venueId` is not the encoding of any
   * id (an order placed by hand or by other software).
   */
  decode(venueId: string): string | undefined;
}

const registryCharacters = /^[A-Za-z0-9_-]+$/;

/** Ids travel unchanged (Binance, Bybit, Bitget, Gate, KuCoin). */
export function sameIds(maxLength: number, characters: RegExp = registryCharacters): ClientOrderIdCodec {
  return {
    maxLength,
    characters,
    encode: (clientOrderId) => clientOrderId,
    decode: (venueId) => (venueId.length <= maxLength && characters.test(venueId) ? venueId : undefined),
  };
}

const base62 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Letters and digits only (OKX `algoClOrdId` and `clOrdId`: case-sensitive alphanumerics, at most
 * 32). The separators (`-`, `_`) are taken out and their positions appended, one base-62 digit
 * each (`-` at position p: digit p; `_`: digit 31 + p), then their count: an id of L characters
 * becomes L + 1 characters and still starts readable, e.g. `tsr-BTCUSDT-0a1b2c3d4e-1` becomes
 * `tsrBTCUSDT0a1b2c3d4e13bm3`.
 */
export function alphanumericIds(venueMaxLength: number): ClientOrderIdCodec {
  const maxLength = Math.min(venueMaxLength - 1, 31);
  const encode = (clientOrderId: string): string => {
    let body = '';
    let positions = '';
    for (let index = 0; index < clientOrderId.length; index++) {
      const character = clientOrderId[index]!;
      if (character === '-') positions += base62[index];
      else if (character === '_') positions += base62[31 + index];
      else body += character;
    }
    return body + positions + base62[positions.length];
  };
  return {
    maxLength,
    characters: registryCharacters,
    encode,
    decode(venueId) {
      if (!/^[A-Za-z0-9]+$/.test(venueId)) return undefined;
      const count = base62.indexOf(venueId.at(-1)!);
      const bodyLength = venueId.length - 1 - count;
      if (count < 0 || bodyLength < 0) return undefined;
      const body = venueId.slice(0, bodyLength);
      const separators = new Map<number, string>();
      for (const digit of venueId.slice(bodyLength, -1)) {
        const value = base62.indexOf(digit);
        separators.set(value % 31, value < 31 ? '-' : '_');
      }
      let result = '';
      let next = 0;
      for (let index = 0; index < bodyLength + count; index++) result += separators.get(index) ?? body[next++] ?? '';
      // Only an id this codec would have written decodes (positions ascending, in range, no duplicates).
      return result.length <= maxLength && registryCharacters.test(result) && encode(result) === venueId ? result : undefined;
    },
  };
}

/**
 * The id as one number, written in the venue's digits: 6 bits per character of the registry's
 * 64-character alphabet, behind a leading 1 bit that keeps the length. Opaque at the venue, but
 * exact both ways.
 */
function packedIds(options: {
  readonly digits: string;
  readonly width: number | undefined;
  readonly prefix: string;
  readonly maxLength: number;
  readonly caseInsensitive: boolean;
}): ClientOrderIdCodec {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';
  const base = BigInt(options.digits.length);
  const encode = (clientOrderId: string): string => {
    let value = 1n;
    for (const character of clientOrderId) value = (value << 6n) | BigInt(alphabet.indexOf(character));
    let digits = '';
    for (; value > 0n; value /= base) digits = options.digits[Number(value % base)] + digits;
    return options.prefix + (options.width === undefined ? digits : digits.padStart(options.width, options.digits[0]));
  };
  return {
    maxLength: options.maxLength,
    characters: registryCharacters,
    encode,
    decode(venueId) {
      const text = options.caseInsensitive ? venueId.toLowerCase() : venueId;
      if (!text.startsWith(options.prefix)) return undefined;
      let value = 0n;
      for (const digit of text.slice(options.prefix.length)) {
        const index = options.digits.indexOf(digit);
        if (index < 0) return undefined;
        value = value * base + BigInt(index);
      }
      let result = '';
      for (; value > 1n; value >>= 6n) result = alphabet[Number(value & 63n)] + result;
      if (value !== 1n || result.length === 0 || result.length > options.maxLength) return undefined;
      return encode(result) === text ? result : undefined;
    },
  };
}

/**
 * Lowercase letters and digits (BingX stores `clientOrderID` lowercased, 1-40 characters): the id
 * packed into base 36. Registry ids up to 34 characters fit in 40.
 */
export function lowercaseIds(): ClientOrderIdCodec {
  return packedIds({ digits: '0123456789abcdefghijklmnopqrstuvwxyz', width: undefined, prefix: '', maxLength: 34, caseInsensitive: true });
}

/**
 * A 128-bit hex number (Hyperliquid `cloid`: `0x` and 32 hex digits): registry ids up to 21
 * characters fit (6 bits each behind the length bit: 127 bits).
 */
export function hexIds(): ClientOrderIdCodec {
  return packedIds({ digits: '0123456789abcdef', width: 32, prefix: '0x', maxLength: 21, caseInsensitive: true });
}
