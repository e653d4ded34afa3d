/**
 * The client order id codecs of the ccxt venue profiles: every registry id within a codec's
 * `maxLength` encodes into the venue's charset and length, decodes back to itself, and the
 * encoding is deterministic (a retry sends the same venue id); venue ids that no registry id
 * encodes to decode to `undefined`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alphanumericIds, hexIds, lowercaseIds, sameIds, type ClientOrderIdCodec } from '../../src/placers/ccxt.js';
import { clientOrderIdBase, clientOrderIdBaseOf, clientOrderIdFor, hasClientOrderIdPrefix } from '../../src/domain/client-order-id.js';

// Deterministic in CI; `FC_SEED=<n>` explores another part of the input space.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_202) });

const registryCharacter = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');

const cases: { name: string; codec: ClientOrderIdCodec; venue: RegExp; venueMaxLength: number; venueFolds?: (id: string) => string }[] = [
  { name: 'same ids (36)', codec: sameIds(36), venue: /^[A-Za-z0-9_-]+$/, venueMaxLength: 36 },
  { name: 'OKX alphanumeric (32)', codec: alphanumericIds(32), venue: /^[A-Za-z0-9]+$/, venueMaxLength: 32 },
  // BingX stores clientOrderID lowercased: what comes back is the lowercase form.
  { name: 'BingX lowercase (40)', codec: lowercaseIds(), venue: /^[a-z0-9]+$/, venueMaxLength: 40, venueFolds: (id) => id.toLowerCase() },
  { name: 'Hyperliquid cloid', codec: hexIds(), venue: /^0x[0-9a-f]{32}$/, venueMaxLength: 34 },
];

describe.each(cases)('client order id codec: $name', ({ codec, venue, venueMaxLength, venueFolds }) => {
  const registryIds = fc.string({ unit: registryCharacter, minLength: 1, maxLength: codec.maxLength });

  it('encodes every registry id into the venue charset and length, and decodes it back', () => {
    fc.assert(
      fc.property(registryIds, (id) => {
        const encoded = codec.encode(id);
        expect(encoded).toMatch(venue);
        expect(encoded.length).toBeLessThanOrEqual(venueMaxLength);
        expect(codec.encode(id)).toBe(encoded);
        expect(codec.decode(venueFolds ? venueFolds(encoded) : encoded)).toBe(id);
      }),
      { numRuns: 500 },
    );
  });

  it('distinct ids have distinct venue forms', () => {
    fc.assert(
      fc.property(registryIds, registryIds, (left, right) => {
        fc.pre(left !== right);
        expect(codec.encode(left)).not.toBe(codec.encode(right));
      }),
    );
  });

  it("keeps the registry's deterministic ids recognisable after a round trip (prefix, base, sequence)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 12 }), fc.integer({ min: 1, max: 46_655 }), (key, position, sequence) => {
        const base = clientOrderIdBase('tsr', key, position, codec.maxLength);
        const id = clientOrderIdFor(base, sequence);
        expect(id.length).toBeLessThanOrEqual(codec.maxLength);
        const back = codec.decode(venueFolds ? venueFolds(codec.encode(id)) : codec.encode(id))!;
        expect(hasClientOrderIdPrefix(back, 'tsr')).toBe(true);
        expect(clientOrderIdBaseOf(back)).toBe(base);
      }),
    );
  });
});

describe('client order id codecs: foreign venue ids', () => {
  it('decode to undefined when no registry id encodes to them, and never into an id with the prefix', () => {
    const okx = alphanumericIds(32);
    // ccxt's broker clOrdIds on OKX, orders placed by hand or by other software:
    for (const foreign of ['e847386590ce4dBC1c9b4b0e2bd3e1a0', 'e847386590ce4dBC1c9b4b0e2bd3e1a7', 'manual1', 'tsr']) {
      expect(hasClientOrderIdPrefix(okx.decode(foreign) ?? foreign, 'tsr'), foreign).toBe(false);
    }
    expect(okx.decode('e847386590ce4dBC1c9b4b0e2bd3e1a7')).toBeUndefined(); // count 7 with no positions
    expect(okx.decode('has-dash')).toBeUndefined();
    expect(hexIds().decode('0x1234')).toBeUndefined(); // no length bit where one must be
    expect(hexIds().decode('0xffffffffffffffffffffffffffffffff')).toBeUndefined();
    expect(sameIds(36).decode('x'.repeat(37))).toBeUndefined();
  });

  it('OKX writes the registry example readable: body first, separator positions and count last', () => {
    expect(alphanumericIds(32).encode('tsr-BTCUSDTUSD-0a1b2c3d4e-1')).toBe('tsrBTCUSDTUSD0a1b2c3d4e13ep3');
  });
});
