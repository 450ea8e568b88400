/**
 * The one error hierarchy of memsnap.
 *
 * Every error the library throws is a {@link MemsnapError}: it carries a stable
 * machine-readable `code` (never renamed once released), structured `data` for
 * scripts, an optional `cause`, and a `toJSON` that the CLI prints for `--json`.
 * The `name` is derived from the class, never written by hand.
 *
 * This folder imports nothing from the rest of memsnap; everything imports it.
 */

/** Stable error codes. Scripts may switch on these; never rename one. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_A_STORE'
  | 'STORE_EXISTS'
  | 'UNSUPPORTED_VERSION'
  | 'CORRUPT_CHUNK'
  | 'CORRUPT_PACK'
  | 'TRUNCATED_PACK'
  | 'INDEX_DAMAGED'
  | 'NOT_FOUND'
  | 'BACKEND_IO'
  | 'CONFLICT'
  | 'LOCKED'
  | 'CLOSED'
  | 'SOURCE_UNREADABLE'
  | 'CORRUPT_BUNDLE'
  | 'MISSING_BASE'
  | 'DECRYPTION_FAILED';

/** Base class of every memsnap error. */
export class MemsnapError extends Error {
  /** Stable code, e.g. `CORRUPT_CHUNK`. */
  readonly code: ErrorCode;
  /** Structured details (paths, ids, offsets) for scripts and logs. */
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = data;
    this.name = new.target.name;
  }

  /** A plain object for `--json` output: name, code, message, data and the cause's message. */
  toJSON(): Record<string, unknown> {
    const cause = this.cause instanceof Error ? { name: this.cause.name, message: this.cause.message } : this.cause;
    return { name: this.name, code: this.code, message: this.message, data: this.data, ...(cause === undefined ? {} : { cause }) };
  }
}
