/**
 * A wrapper {@link ObjectBackend} for tests: counts calls per operation, records the keys
 * put, and injects faults (fail the Nth call of an operation with a BackendIoError).
 */
import { BackendIoError } from '../../src/errors/index.js';
import type { ObjectBackend, ObjectInfo } from '../../src/cas/backend/object-backend.js';

/** Operations of the backend contract. */
export type BackendOperation = 'put' | 'get' | 'getRange' | 'stat' | 'list' | 'delete';

/** Delegates to `inner`, counting calls and failing the ones scheduled with `failNth`. */
export class InstrumentedBackend implements ObjectBackend {
  readonly calls: Record<BackendOperation, number> = { put: 0, get: 0, getRange: 0, stat: 0, list: 0, delete: 0 };
  /** Keys of successful puts, in order. */
  readonly putKeys: string[] = [];
  private readonly faults = new Map<BackendOperation, Set<number>>();

  constructor(readonly inner: ObjectBackend) {}

  get location(): string {
    return this.inner.location;
  }

  /** Makes the `n`th (1-based, counted from now on) call of `op` throw a BackendIoError. */
  failNth(op: BackendOperation, n: number): void {
    const set = this.faults.get(op) ?? new Set<number>();
    set.add(this.calls[op] + n);
    this.faults.set(op, set);
  }

  /** Zeroes the counters (faults keep their absolute call numbers). */
  resetCounts(): void {
    for (const op of Object.keys(this.calls) as BackendOperation[]) this.calls[op] = 0;
    this.putKeys.length = 0;
    this.faults.clear();
  }

  private count(op: BackendOperation, key: string): void {
    const n = ++this.calls[op];
    if (this.faults.get(op)?.has(n)) throw new BackendIoError(op, key, new Error(`injected fault on ${op} #${n}`));
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    this.count('put', key);
    await this.inner.put(key, data);
    this.putKeys.push(key);
  }

  async get(key: string): Promise<Uint8Array> {
    this.count('get', key);
    return this.inner.get(key);
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    this.count('getRange', key);
    return this.inner.getRange(key, offset, length);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    this.count('stat', key);
    return this.inner.stat(key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.count('list', prefix);
    yield* this.inner.list(prefix);
  }

  async delete(key: string): Promise<void> {
    this.count('delete', key);
    await this.inner.delete(key);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
