/**
 * In-memory {@link ObjectBackend} for tests and throwaway stores. Same contract as the
 * filesystem backend, nothing durable. Stored bytes are copied on put and on get, so a
 * caller can never change an object after the fact.
 */
import { NotFoundError } from '../../errors/index.js';
import { assertObjectKey, type ObjectBackend, type ObjectInfo } from './object-backend.js';

/** Objects in a Map. */
export class MemoryBackend implements ObjectBackend {
  readonly location = 'memory:';
  private readonly objects = new Map<string, Uint8Array>();

  async put(key: string, data: Uint8Array): Promise<void> {
    assertObjectKey(key);
    // `new Uint8Array(x)` copies; `Buffer#slice` would share memory with the caller.
    this.objects.set(key, new Uint8Array(data));
  }

  async get(key: string): Promise<Uint8Array> {
    return new Uint8Array(this.require(key));
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.require(key).slice(offset, offset + length);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertObjectKey(key);
    const data = this.objects.get(key);
    return data ? { key, size: data.length } : undefined;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const [key, data] of [...this.objects]) if (key.startsWith(prefix)) yield { key, size: data.length };
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    this.objects.delete(key);
  }

  async close(): Promise<void> {}

  private require(key: string): Uint8Array {
    assertObjectKey(key);
    const data = this.objects.get(key);
    if (!data) throw new NotFoundError('object', key, { location: this.location });
    return data;
  }
}
