/**
 * The error hierarchy: every class has a stable code, a name derived from the class,
 * structured data, an optional cause and a JSON form. A new error class must be added to
 * the table below, which is how its code becomes part of the stable contract.
 */
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/errors/index.js';
import { MemsnapError, type ErrorCode } from '../../src/errors/index.js';

const cause = new Error('EACCES: permission denied');

/** One instance per class, its stable code, and the data it must carry. */
const CASES: Record<string, { make: () => MemsnapError; code: ErrorCode; data: Record<string, unknown>; hasCause: boolean }> = {
  InvalidArgumentError: { make: () => new errors.InvalidArgumentError('bad id', { id: 'x' }), code: 'INVALID_ARGUMENT', data: { id: 'x' }, hasCause: false },
  NotAStoreError: { make: () => new errors.NotAStoreError('/s', 'no config.json', cause), code: 'NOT_A_STORE', data: { path: '/s', reason: 'no config.json' }, hasCause: true },
  StoreExistsError: { make: () => new errors.StoreExistsError('/s'), code: 'STORE_EXISTS', data: { path: '/s' }, hasCause: false },
  UnsupportedVersionError: { make: () => new errors.UnsupportedVersionError('pack p', 2, 1), code: 'UNSUPPORTED_VERSION', data: { what: 'pack p', found: 2, supported: 1 }, hasCause: false },
  CorruptChunkError: { make: () => new errors.CorruptChunkError('ab'.repeat(32), 'p1', 64, 'hash', cause), code: 'CORRUPT_CHUNK', data: { id: 'ab'.repeat(32), pack: 'p1', offset: 64, reason: 'hash' }, hasCause: true },
  CorruptPackError: { make: () => new errors.CorruptPackError('p1', 0, 'bad magic'), code: 'CORRUPT_PACK', data: { pack: 'p1', offset: 0, reason: 'bad magic' }, hasCause: false },
  TruncatedPackError: { make: () => new errors.TruncatedPackError('p1', 100, 'no footer'), code: 'TRUNCATED_PACK', data: { pack: 'p1', size: 100, reason: 'no footer' }, hasCause: false },
  IndexDamagedError: { make: () => new errors.IndexDamagedError('/s/index.sqlite', 'not a database', cause), code: 'INDEX_DAMAGED', data: { path: '/s/index.sqlite', reason: 'not a database' }, hasCause: true },
  NotFoundError: { make: () => new errors.NotFoundError('chunk', 'abc', { location: 'memory:' }), code: 'NOT_FOUND', data: { what: 'chunk', name: 'abc', location: 'memory:' }, hasCause: false },
  BackendIoError: { make: () => new errors.BackendIoError('put', 'packs/x', cause), code: 'BACKEND_IO', data: { operation: 'put', name: 'packs/x' }, hasCause: true },
  ConflictError: { make: () => new errors.ConflictError('ref moved', { expected: 'a', actual: 'b' }), code: 'CONFLICT', data: { expected: 'a', actual: 'b' }, hasCause: false },
  LockedError: { make: () => new errors.LockedError('index', 10_000, cause), code: 'LOCKED', data: { what: 'index', waitedMs: 10_000 }, hasCause: true },
  ClosedError: { make: () => new errors.ClosedError('chunk writer'), code: 'CLOSED', data: { what: 'chunk writer' }, hasCause: false },
  SourceUnreadableError: { make: () => new errors.SourceUnreadableError('/agent/memory.db', cause), code: 'SOURCE_UNREADABLE', data: { path: '/agent/memory.db' }, hasCause: true },
  CorruptBundleError: { make: () => new errors.CorruptBundleError('chunk/ab', 'hash mismatch', cause), code: 'CORRUPT_BUNDLE', data: { entry: 'chunk/ab', reason: 'hash mismatch' }, hasCause: true },
  MissingBaseError: { make: () => new errors.MissingBaseError(['ab'.repeat(32)], 3), code: 'MISSING_BASE', data: { bases: ['ab'.repeat(32)], missingIds: 3 }, hasCause: false },
  DecryptionFailedError: { make: () => new errors.DecryptionFailedError('no identity matched', cause), code: 'DECRYPTION_FAILED', data: { reason: 'no identity matched' }, hasCause: true },
};

function exportedErrorClasses(): string[] {
  return Object.entries(errors)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof MemsnapError)
    .map(([name]) => name)
    .sort();
}

describe('error hierarchy', () => {
  it('every exported error class is in the table of stable codes', () => {
    expect(exportedErrorClasses()).toEqual(Object.keys(CASES).sort());
  });

  it('codes are unique', () => {
    const codes = Object.values(CASES).map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  for (const [className, c] of Object.entries(CASES)) {
    describe(className, () => {
      it(`has code ${c.code}, a derived name, and is a MemsnapError and an Error`, () => {
        const err = c.make();
        expect(err.code).toBe(c.code);
        expect(err.name).toBe(className);
        expect(err.constructor.name).toBe(className);
        expect(err).toBeInstanceOf(MemsnapError);
        expect(err).toBeInstanceOf(Error);
        expect(err).toBeInstanceOf((errors as unknown as Record<string, new (...args: never[]) => Error>)[className]!);
        expect(err.message.length).toBeGreaterThan(0);
        expect(String(err)).toBe(`${className}: ${err.message}`);
        expect(err.stack).toContain(className);
      });

      it('carries its data and cause', () => {
        const err = c.make();
        expect(err.data).toEqual(c.data);
        if (c.hasCause) expect(err.cause).toBe(cause);
        else expect(err.cause).toBeUndefined();
      });

      it('serializes with toJSON', () => {
        const err = c.make();
        const json = JSON.parse(JSON.stringify(err)) as Record<string, unknown>;
        const expected: Record<string, unknown> = { name: className, code: c.code, message: err.message, data: c.data };
        if (c.hasCause) expected['cause'] = { name: 'Error', message: cause.message };
        expect(json).toEqual(expected);
      });
    });
  }

  it('a subclass defined elsewhere gets its own name without writing it by hand', () => {
    class CustomSnapshotError extends MemsnapError {
      constructor() {
        super('CONFLICT', 'custom');
      }
    }
    const err = new CustomSnapshotError();
    expect(err.name).toBe('CustomSnapshotError');
    expect(err.toJSON()).toEqual({ name: 'CustomSnapshotError', code: 'CONFLICT', message: 'custom', data: {} });
  });

  it('keeps a non-Error cause as it is in toJSON', () => {
    const err = new MemsnapError('BACKEND_IO', 'x', {}, { cause: 'socket hang up' });
    expect(err.cause).toBe('socket hang up');
    expect(err.toJSON()['cause']).toBe('socket hang up');
  });

  it('messages say what to do where there is something to do', () => {
    expect(CASES['NotAStoreError']!.make().message).toMatch(/memsnap init/);
    expect(CASES['CorruptChunkError']!.make().message).toMatch(/memsnap verify/);
    expect(CASES['IndexDamagedError']!.make().message).toMatch(/memsnap repair --rebuild-index/);
    expect(CASES['UnsupportedVersionError']!.make().message).toMatch(/upgrade memsnap/);
    expect(CASES['BackendIoError']!.make().message).toContain(cause.message);
  });
});
