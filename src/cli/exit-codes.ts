/**
 * The one table from error codes to process exit codes. `memsnap --help` prints it;
 * scripts may rely on it. Only the CLI exits; the library throws.
 */
import type { ErrorCode } from '../errors/index.js';

/** Exit codes and what they mean, in the order `--help` lists them. */
export const EXIT_CODES = [
  { exit: 0, meaning: 'success' },
  { exit: 1, meaning: 'unexpected internal error (a bug: please report it)' },
  { exit: 2, meaning: 'bad usage or argument (INVALID_ARGUMENT)' },
  { exit: 3, meaning: 'no store here, or one exists already (NOT_A_STORE, STORE_EXISTS)' },
  { exit: 4, meaning: 'snapshot, path, chunk or field not found, or a bundle\'s base snapshot missing (NOT_FOUND, MISSING_BASE)' },
  { exit: 5, meaning: 'conflict: the head moved, or an idempotency key was reused (CONFLICT)' },
  { exit: 6, meaning: 'locked by another process too long (LOCKED)' },
  { exit: 7, meaning: 'damaged data: corrupt chunk or pack, truncated pack, damaged index, refused bundle (CORRUPT_CHUNK, CORRUPT_PACK, TRUNCATED_PACK, INDEX_DAMAGED, CORRUPT_BUNDLE)' },
  { exit: 8, meaning: 'written by a newer memsnap (UNSUPPORTED_VERSION)' },
  { exit: 9, meaning: 'storage or source I/O failed (BACKEND_IO, SOURCE_UNREADABLE, CLOSED)' },
  { exit: 10, meaning: 'verify ran and found damage' },
  { exit: 11, meaning: 'the bundle cannot be decrypted with the identity or passphrase given (DECRYPTION_FAILED)' },
] as const;

const BY_CODE: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 2,
  NOT_A_STORE: 3,
  STORE_EXISTS: 3,
  NOT_FOUND: 4,
  CONFLICT: 5,
  LOCKED: 6,
  CORRUPT_CHUNK: 7,
  CORRUPT_PACK: 7,
  TRUNCATED_PACK: 7,
  INDEX_DAMAGED: 7,
  UNSUPPORTED_VERSION: 8,
  BACKEND_IO: 9,
  SOURCE_UNREADABLE: 9,
  CLOSED: 9,
  CORRUPT_BUNDLE: 7,
  MISSING_BASE: 4,
  DECRYPTION_FAILED: 11,
};

/** Exit code for an error code; 1 for anything unknown. */
export function exitCodeFor(code: string | undefined): number {
  return (code !== undefined && BY_CODE[code as ErrorCode]) || 1;
}

/** Exit code when verify finds damage. */
export const EXIT_VERIFY_FAILED = 10;
