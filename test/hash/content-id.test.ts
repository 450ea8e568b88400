/** Content ids: parse, format, short form, and precise errors for anything that is not an id. */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors/index.js';
import {
  CONTENT_ID_BYTES,
  contentIdFromBytes,
  contentIdToBytes,
  hashContent,
  isContentId,
  parseContentId,
  shortId,
  type ContentId,
} from '../../src/hash/content-id.js';
import { seededBytes } from '../helpers/seeded-random.js';

/** BLAKE3 of the empty input (official vector). */
const EMPTY_ID = 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262';

function expectInvalidArgument(fn: () => unknown): InvalidArgumentError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  const err = caught as InvalidArgumentError;
  expect(err.code).toBe('INVALID_ARGUMENT');
  expect(err.name).toBe('InvalidArgumentError');
  return err;
}

describe('hashContent', () => {
  it('is the BLAKE3-256 of the bytes as 64 lowercase hex characters', () => {
    expect(hashContent(new Uint8Array(0))).toBe(EMPTY_ID);
    const data = seededBytes(1, 10_000);
    const id = hashContent(data);
    expect(id).toBe(Buffer.from(nobleBlake3(data)).toString('hex'));
    expect(isContentId(id)).toBe(true);
  });

  it('differs when one bit differs', () => {
    const data = seededBytes(2, 4096);
    const flipped = data.slice();
    flipped[2000]! ^= 1;
    expect(hashContent(flipped)).not.toBe(hashContent(data));
  });
});

describe('parse and format', () => {
  it('round-trips id -> bytes -> id', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const id = contentIdFromBytes(bytes);
        expect(id).toMatch(/^[0-9a-f]{64}$/);
        expect(parseContentId(id)).toBe(id);
        expect([...contentIdToBytes(id)]).toEqual([...bytes]);
      }),
    );
  });

  it('normalizes upper case to the canonical lower-case id', () => {
    const id = parseContentId(EMPTY_ID.toUpperCase());
    expect(id).toBe(EMPTY_ID);
    expect(isContentId(id)).toBe(true);
    // The type guard is strict: only the canonical form is an id without parsing.
    expect(isContentId(EMPTY_ID.toUpperCase())).toBe(false);
  });

  it('formats a view at its own offset, not its whole backing buffer', () => {
    const backing = new Uint8Array(100).map((_, i) => i);
    const id = contentIdFromBytes(backing.subarray(10, 42));
    expect(id).toBe(Buffer.from(backing.slice(10, 42)).toString('hex'));
  });

  it('shortId is the 12-character prefix', () => {
    const id = parseContentId(EMPTY_ID);
    expect(shortId(id)).toBe('af1349b9f5f9');
    expect(shortId(id)).toHaveLength(12);
    expect(id.startsWith(shortId(id))).toBe(true);
  });

  it('CONTENT_ID_BYTES is 32', () => {
    expect(CONTENT_ID_BYTES).toBe(32);
    expect(contentIdToBytes(EMPTY_ID as ContentId)).toHaveLength(CONTENT_ID_BYTES);
  });
});

describe('bad ids', () => {
  it.each([
    ['empty', ''],
    ['63 characters', EMPTY_ID.slice(0, 63)],
    ['65 characters', EMPTY_ID + '0'],
    ['a short id', 'af1349b9f5f9'],
    ['non-hex letter', 'g' + EMPTY_ID.slice(1)],
    ['0x prefix', '0x' + EMPTY_ID.slice(2)],
    ['leading space', ' ' + EMPTY_ID.slice(1)],
    ['trailing newline', EMPTY_ID + '\n'],
    ['inner dash', EMPTY_ID.slice(0, 32) + '-' + EMPTY_ID.slice(33)],
    ['non-ASCII', 'é' + EMPTY_ID.slice(1)],
    ['fullwidth digit', '\uff10' + EMPTY_ID.slice(1)],
  ])('parseContentId rejects %s', (_label, text) => {
    const err = expectInvalidArgument(() => parseContentId(text));
    expect(err.message).toContain('not a content id');
    expect(isContentId(text)).toBe(false);
  });

  it('parseContentId keeps long garbage out of the message', () => {
    const err = expectInvalidArgument(() => parseContentId('x'.repeat(10_000)));
    expect(err.message.length).toBeLessThan(200);
  });

  it.each([0, 1, 31, 33, 64])('contentIdFromBytes rejects %i bytes', (n) => {
    expectInvalidArgument(() => contentIdFromBytes(new Uint8Array(n)));
  });

  it('property: any string that is not 64 hex characters is rejected', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        fc.pre(!/^[0-9a-fA-F]{64}$/.test(text));
        expectInvalidArgument(() => parseContentId(text));
      }),
    );
  });
});
