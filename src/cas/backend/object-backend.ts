/**
 * The storage seam: a flat namespace of immutable named objects.
 *
 * Everything memsnap persists outside its SQLite index goes through this interface, so an
 * S3-compatible object store can replace the local filesystem. The contract, which every
 * implementation passes in `test/cas/backend-conformance.ts`:
 *
 * - Keys are 1-512 characters of `[a-z0-9._-]` in `/`-separated segments of 1-255 characters
 *   (a file name's limit on common file systems), none `.` or `..` (checked by
 *   {@link assertObjectKey}; implementations throw InvalidArgumentError).
 * - `put` is atomic and durable: when it resolves, the whole object is stored and survives a
 *   crash; a reader never sees part of an object, whatever happens during the put. Objects
 *   are immutable: callers only ever put the same bytes under a key again (keys name
 *   content), and a repeated put of an existing key succeeds without error. A backend keeps
 *   no reference to the bytes it was given: the caller may reuse them once `put` resolves.
 * - `get`/`getRange` of a missing key throw NotFoundError. `getRange` returns the bytes in
 *   `[offset, offset + length)` clipped to the object's end (fewer bytes, never an error).
 *   Returned buffers belong to the caller: it may change them or transfer them to a worker.
 * - `delete` of a missing key succeeds (deletes are idempotent).
 * - `list(prefix)` yields every object whose key starts with `prefix`, in no set order.
 * - Failures of the medium (disk full, permission, network) throw BackendIoError.
 */
import { InvalidArgumentError } from '../../errors/index.js';

/** One stored object as listed: its key and size in bytes. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
}

/** A store of immutable named objects. See the module comment for the full contract. */
export interface ObjectBackend {
  /** Human-readable location for messages, e.g. `file:/data/store`. */
  readonly location: string;
  /** Stores `data` under `key`, atomically and durably. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** The whole object. @throws NotFoundError */
  get(key: string): Promise<Uint8Array>;
  /** `length` bytes from `offset` (clipped at the end). @throws NotFoundError */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** The object's size in bytes, or undefined when it does not exist. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes the object; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Releases handles. The backend is unusable afterwards. */
  close(): Promise<void>;
}

const SEGMENT = /^[a-z0-9._-]{1,255}$/;

/** Throws InvalidArgumentError unless `key` is a valid object key. */
export function assertObjectKey(key: string): void {
  const ok =
    key.length > 0 &&
    key.length <= 512 &&
    key.split('/').every((s) => s !== '.' && s !== '..' && SEGMENT.test(s));
  if (!ok) throw new InvalidArgumentError(`invalid object key ${JSON.stringify(key)}`, { key });
}
