/**
 * The shared conformance suite of the {@link ObjectBackend} contract (written in
 * src/cas/backend/object-backend.ts). Every backend implementation calls
 * `describeBackendConformance` from its test file with a factory of fresh, empty backends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, NotFoundError } from '../../src/errors/index.js';
import type { ObjectBackend, ObjectInfo } from '../../src/cas/backend/object-backend.js';
import { pseudoRandomBytes } from '../helpers/deterministic-bytes.js';

/** Makes a fresh, empty backend for one test. */
export type BackendFactory = () => ObjectBackend | Promise<ObjectBackend>;

/** Keys the contract forbids, with why. */
export const INVALID_KEYS: readonly (readonly [string, string])[] = [
  ['', 'empty'],
  ['..', 'parent segment'],
  ['.', 'dot segment'],
  ['a/../b', 'parent segment inside'],
  ['packs/./x', 'dot segment inside'],
  ['/etc/passwd', 'absolute'],
  ['a//b', 'empty segment'],
  ['a/', 'trailing slash'],
  ['Config.json', 'uppercase'],
  ['packs/AB/x.pack', 'uppercase segment'],
  ['a b', 'space'],
  ['a\\b', 'backslash'],
  ['x'.repeat(513), 'longer than 512'],
  [`a/${'y'.repeat(256)}`, 'segment longer than 255'],
  ['caf\u00e9', 'non-ascii'],
];

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of it) out.push(info);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

async function expectNotFound(promise: Promise<unknown>, key: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected NotFoundError for ${key}`).toBeInstanceOf(NotFoundError);
  expect((err as NotFoundError).code).toBe('NOT_FOUND');
}

/** Runs the ObjectBackend contract against backends made by `factory`. */
export function describeBackendConformance(name: string, factory: BackendFactory): void {
  describe(`ObjectBackend conformance: ${name}`, () => {
    const open: ObjectBackend[] = [];
    afterEach(async () => {
      for (const b of open.splice(0)) await b.close();
    });
    async function fresh(): Promise<ObjectBackend> {
      const b = await factory();
      open.push(b);
      return b;
    }

    it('stores and returns an object whole; stat and list report its size', async () => {
      const b = await fresh();
      const data = pseudoRandomBytes('whole', 100_000);
      await b.put('packs/ab/one.pack', data);
      expect(Buffer.from(await b.get('packs/ab/one.pack')).equals(data)).toBe(true);
      expect(await b.stat('packs/ab/one.pack')).toEqual({ key: 'packs/ab/one.pack', size: 100_000 });
      expect(await collect(b.list(''))).toEqual([{ key: 'packs/ab/one.pack', size: 100_000 }]);
    });

    it('stores objects on both sides of 1 MiB whole (small and large writes may take different paths)', async () => {
      const b = await fresh();
      for (const size of [(1 << 20) - 1, 1 << 20, (1 << 20) + 1, 5 << 20]) {
        const data = pseudoRandomBytes(`size ${size}`, size);
        await b.put(`packs/cd/${size}.pack`, data);
        expect(Buffer.from(await b.get(`packs/cd/${size}.pack`)).equals(data)).toBe(true);
      }
    });

    it('stores an empty object', async () => {
      const b = await fresh();
      await b.put('empty', new Uint8Array(0));
      expect((await b.get('empty')).length).toBe(0);
      expect(await b.stat('empty')).toEqual({ key: 'empty', size: 0 });
    });

    it('is not affected by the caller changing its buffers after put or get', async () => {
      const b = await fresh();
      const data = Buffer.from('immutable object');
      await b.put('k', data);
      data.fill(0);
      const got = await b.get('k');
      expect(Buffer.from(got).toString()).toBe('immutable object');
      got.fill(0);
      const range = await b.getRange('k', 0, 4);
      range.fill(0);
      expect(Buffer.from(await b.get('k')).toString()).toBe('immutable object');
    });

    it('accepts a repeated put of the same key and keeps the object whole', async () => {
      const b = await fresh();
      const data = pseudoRandomBytes('repeat', 5000);
      await b.put('config.json', data);
      await b.put('config.json', data);
      expect(Buffer.from(await b.get('config.json')).equals(data)).toBe(true);
      expect(await collect(b.list(''))).toEqual([{ key: 'config.json', size: 5000 }]);
    });

    it('puts atomically: concurrent readers see nothing or the whole object', async () => {
      const b = await fresh();
      const objects = Array.from({ length: 8 }, (_, i) => ({ key: `atomic/obj-${i}`, data: pseudoRandomBytes(`atomic-${i}`, 256 * 1024 + i) }));
      const seen: string[] = [];
      const reads: Promise<void>[] = [];
      const puts = objects.map(async ({ key, data }) => {
        for (let r = 0; r < 3; r++) {
          reads.push(
            b.get(key).then(
              (got) => {
                seen.push(Buffer.from(got).equals(data) ? 'whole' : `partial ${key} ${got.length}`);
              },
              (err: unknown) => {
                if (!(err instanceof NotFoundError)) throw err;
                seen.push('absent');
              },
            ),
          );
          const info = await b.stat(key);
          if (info !== undefined) expect(info.size).toBe(data.length);
        }
        await b.put(key, data);
      });
      await Promise.all(puts);
      await Promise.all(reads);
      expect(seen.filter((s) => s !== 'whole' && s !== 'absent')).toEqual([]);
      for (const { key, data } of objects) expect(Buffer.from(await b.get(key)).equals(data)).toBe(true);
    });

    it('keeps no reference to the bytes given to put (the caller reuses its buffer)', async () => {
      const b = await fresh();
      const data = Buffer.from('bytes a writer will overwrite with its next pack');
      const copy = Buffer.from(data);
      await b.put('packs/aa/reused', data);
      data.fill(0);
      expect(Buffer.from(await b.get('packs/aa/reused')).equals(copy)).toBe(true);
    });

    it('throws NotFoundError for get and getRange of a missing key; stat gives undefined', async () => {
      const b = await fresh();
      await expectNotFound(b.get('missing'), 'missing');
      await expectNotFound(b.getRange('missing', 0, 10), 'missing');
      await expectNotFound(b.get('packs/00/missing.pack'), 'nested missing');
      expect(await b.stat('missing')).toBeUndefined();
      await b.put('present', Buffer.from('x'));
      await b.delete('present');
      await expectNotFound(b.get('present'), 'deleted');
      await expectNotFound(b.getRange('present', 0, 1), 'deleted');
    });

    it('returns ranges, clipped at the end of the object', async () => {
      const b = await fresh();
      const data = pseudoRandomBytes('range', 1000);
      await b.put('r', data);
      const range = async (offset: number, length: number) => Buffer.from(await b.getRange('r', offset, length));
      expect((await range(0, 1000)).equals(data)).toBe(true);
      expect((await range(10, 20)).equals(data.subarray(10, 30))).toBe(true);
      expect((await range(990, 100)).equals(data.subarray(990))).toBe(true);
      expect((await range(999, 1)).equals(data.subarray(999))).toBe(true);
      expect((await range(1000, 10)).length).toBe(0);
      expect((await range(5000, 10)).length).toBe(0);
      expect((await range(5, 0)).length).toBe(0);
    });

    it('deletes idempotently', async () => {
      const b = await fresh();
      await b.delete('never-there');
      await b.delete('packs/00/never-there.pack');
      await b.put('d', Buffer.from('bye'));
      await b.delete('d');
      await b.delete('d');
      expect(await b.stat('d')).toBeUndefined();
      expect(await collect(b.list(''))).toEqual([]);
      await b.put('d', Buffer.from('again'));
      expect(Buffer.from(await b.get('d')).toString()).toBe('again');
    });

    it('lists by prefix', async () => {
      const b = await fresh();
      const keys = ['packs/aa/1.pack', 'packs/aa/2.pack', 'packs/ab/3.pack', 'packsx', 'config.json', 'objects/aa/9', 'p'];
      for (const [i, key] of keys.entries()) await b.put(key, new Uint8Array(i + 1));
      const list = async (prefix: string) => (await collect(b.list(prefix))).map((o) => `${o.key}:${o.size}`);
      expect(await list('')).toEqual(['config.json:5', 'objects/aa/9:6', 'p:7', 'packs/aa/1.pack:1', 'packs/aa/2.pack:2', 'packs/ab/3.pack:3', 'packsx:4']);
      expect(await list('packs/')).toEqual(['packs/aa/1.pack:1', 'packs/aa/2.pack:2', 'packs/ab/3.pack:3']);
      expect(await list('packs/a')).toEqual(['packs/aa/1.pack:1', 'packs/aa/2.pack:2', 'packs/ab/3.pack:3']);
      expect(await list('packs/aa/')).toEqual(['packs/aa/1.pack:1', 'packs/aa/2.pack:2']);
      expect(await list('packs/aa/2')).toEqual(['packs/aa/2.pack:2']);
      expect(await list('packs')).toEqual(['packs/aa/1.pack:1', 'packs/aa/2.pack:2', 'packs/ab/3.pack:3', 'packsx:4']);
      expect(await list('nothing/')).toEqual([]);
      expect(await list('packs/zz/')).toEqual([]);
    });

    describe('rejects invalid keys with InvalidArgumentError', () => {
      for (const [key, why] of INVALID_KEYS) {
        it(`${why}: ${JSON.stringify(key.length > 20 ? `${key.slice(0, 20)}...` : key)}`, async () => {
          const b = await fresh();
          const ops: [string, () => Promise<unknown>][] = [
            ['put', () => b.put(key, Buffer.from('x'))],
            ['get', () => b.get(key)],
            ['getRange', () => b.getRange(key, 0, 1)],
            ['stat', () => b.stat(key)],
            ['delete', () => b.delete(key)],
          ];
          for (const [op, call] of ops) {
            const err = await call().then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(err, `${op}(${JSON.stringify(key)})`).toBeInstanceOf(InvalidArgumentError);
            expect((err as InvalidArgumentError).code).toBe('INVALID_ARGUMENT');
          }
          expect(await collect(b.list(''))).toEqual([]);
        });
      }

      it('accepts the longest and most varied valid keys', async () => {
        const b = await fresh();
        const longest = `${'a'.repeat(254)}/${'b'.repeat(255)}/c`;
        expect(longest.length).toBe(512);
        for (const key of [longest, 'a.b-c_d/0.9', '...', 'x/..y/z.']) {
          await b.put(key, Buffer.from(key));
          expect(Buffer.from(await b.get(key)).toString()).toBe(key);
        }
      });
    });
  });
}
