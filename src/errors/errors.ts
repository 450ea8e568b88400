/**
 * The concrete error classes, one per stable code. Messages say what went wrong
 * and, where there is one, what to do about it.
 */
import { MemsnapError } from './memsnap-error.js';

/** A caller passed a value the API cannot accept (bad id, out-of-range size, unknown name). */
export class InvalidArgumentError extends MemsnapError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('INVALID_ARGUMENT', message, data);
  }
}

/** The directory exists but holds no memsnap store (no valid `config.json`). */
export class NotAStoreError extends MemsnapError {
  constructor(path: string, reason: string, cause?: unknown) {
    super('NOT_A_STORE', `${path} is not a memsnap store (${reason}); create one with \`memsnap init\``, { path, reason }, { cause });
  }
}

/** `init` was asked to create a store where one already exists. */
export class StoreExistsError extends MemsnapError {
  constructor(path: string) {
    super('STORE_EXISTS', `a memsnap store already exists at ${path}`, { path });
  }
}

/** A format (store, pack, object, bundle) carries a version or name this build does not know. */
export class UnsupportedVersionError extends MemsnapError {
  constructor(what: string, found: string | number, supported: string | number) {
    super(
      'UNSUPPORTED_VERSION',
      `${what} has format ${String(found)}, this memsnap understands ${String(supported)}; upgrade memsnap to read it`,
      { what, found, supported },
    );
  }
}

/** A chunk's bytes do not hash to its id, or cannot be decoded. Reads never return such bytes. */
export class CorruptChunkError extends MemsnapError {
  constructor(id: string, pack: string, offset: number, reason: string, cause?: unknown) {
    super(
      'CORRUPT_CHUNK',
      `chunk ${id.slice(0, 12)} in pack ${pack} at offset ${offset} is corrupt (${reason}); run \`memsnap verify\` to list all damage`,
      { id, pack, offset, reason },
      { cause },
    );
  }
}

/** A pack's framing (header, entry headers, trailer) is damaged. */
export class CorruptPackError extends MemsnapError {
  constructor(pack: string, offset: number, reason: string) {
    super('CORRUPT_PACK', `pack ${pack} is damaged at offset ${offset} (${reason}); run \`memsnap verify\``, { pack, offset, reason });
  }
}

/** A pack ends before its trailer: it was cut short after it was written. */
export class TruncatedPackError extends MemsnapError {
  constructor(pack: string, size: number, reason: string) {
    super(
      'TRUNCATED_PACK',
      `pack ${pack} is truncated at ${size} bytes (${reason}); run \`memsnap verify\` to list the chunks lost`,
      { pack, size, reason },
    );
  }
}

/** The SQLite index cannot be opened or disagrees with itself. It can be rebuilt from the packs. */
export class IndexDamagedError extends MemsnapError {
  constructor(path: string, reason: string, cause?: unknown) {
    super(
      'INDEX_DAMAGED',
      `the store index ${path} is damaged (${reason}); rebuild it from the packs with \`memsnap repair --rebuild-index\``,
      { path, reason },
      { cause },
    );
  }
}

/** A named thing (chunk, object, pack, snapshot, ref) does not exist. */
export class NotFoundError extends MemsnapError {
  constructor(what: string, name: string, data: Record<string, unknown> = {}) {
    super('NOT_FOUND', `${what} ${name} not found`, { what, name, ...data });
  }
}

/** The storage backend failed (disk full, permission denied, network). */
export class BackendIoError extends MemsnapError {
  constructor(operation: string, name: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('BACKEND_IO', `storage ${operation} of ${name} failed: ${reason}`, { operation, name }, { cause });
  }
}

/** A compare-and-swap lost a race, or an idempotency key was reused for different content. */
export class ConflictError extends MemsnapError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('CONFLICT', message, data);
  }
}

/** A resource stayed locked by another process longer than the allowed wait. */
export class LockedError extends MemsnapError {
  constructor(what: string, waitedMs: number, cause?: unknown) {
    super('LOCKED', `${what} stayed locked by another process for ${waitedMs} ms; try again`, { what, waitedMs }, { cause });
  }
}

/** An operation was attempted on a store or writer that was already closed. */
export class ClosedError extends MemsnapError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`, { what });
  }
}

/** A file or database of the agent directory could not be read during a capture. Nothing was committed. */
export class SourceUnreadableError extends MemsnapError {
  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('SOURCE_UNREADABLE', `cannot read ${path} (${reason}); fix its permissions or exclude it, then capture again`, { path }, { cause });
  }
}

/**
 * A bundle is malformed, damaged or hostile (bad entry name or type, duplicate entry, hash
 * mismatch, missing object, truncated stream, too many bytes). Nothing it named was committed.
 */
export class CorruptBundleError extends MemsnapError {
  constructor(entry: string, reason: string, cause?: unknown) {
    super('CORRUPT_BUNDLE', `bundle refused at ${entry}: ${reason}`, { entry, reason }, { cause });
  }
}

/** An incremental bundle needs base snapshots the receiving store does not have. */
export class MissingBaseError extends MemsnapError {
  constructor(bases: readonly string[], missingIds: number) {
    const names = bases.length ? bases.map((b) => b.slice(0, 12)).join(', ') : '(none named)';
    super(
      'MISSING_BASE',
      `this incremental bundle needs base snapshot ${names}, which this store does not have (${missingIds} objects missing); import the base first or export a full bundle`,
      { bases: [...bases], missingIds },
    );
  }
}

/** An encrypted bundle could not be decrypted with the identities or passphrase given. */
export class DecryptionFailedError extends MemsnapError {
  constructor(reason: string, cause?: unknown) {
    super('DECRYPTION_FAILED', `cannot decrypt the bundle: ${reason}`, { reason }, { cause });
  }
}
