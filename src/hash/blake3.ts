/**
 * BLAKE3-256, with the fastest binding that loads on this machine.
 *
 * Order of preference (measured in `bench/hash.ts`, reasons in `docs/DEPENDENCIES.md`):
 * 1. `@napi-rs/blake-hash`: a prebuilt N-API addon shipped through the npm registry (~4 GB/s).
 * 2. `hash-wasm`: WebAssembly, loads everywhere Node runs (~0.8 GB/s).
 * 3. `@noble/hashes`: pure JavaScript (~45 MB/s), the last resort and the tests' oracle.
 *
 * The choice is made once at module load; `MEMSNAP_BLAKE3=napi|wasm|noble` forces one
 * (for tests and benchmarks). All bindings give identical digests; the tests prove it.
 */
import { createRequire } from 'node:module';

/** A BLAKE3 implementation: one-shot and incremental hashing with 32-byte output. */
export interface Blake3Binding {
  /** Short name of the binding: `napi`, `wasm` or `noble`. */
  readonly name: 'napi' | 'wasm' | 'noble';
  /** The 32-byte BLAKE3 digest of `data`. */
  hash(data: Uint8Array): Uint8Array;
  /** A fresh incremental hasher. */
  createHasher(): Blake3Hasher;
}

/** Incremental BLAKE3: feed bytes with `update`, read the 32-byte digest once with `digest`. */
export interface Blake3Hasher {
  update(data: Uint8Array): Blake3Hasher;
  digest(): Uint8Array;
}

const require = createRequire(import.meta.url);

type NapiModule = typeof import('@napi-rs/blake-hash');

/**
 * The addon's module, proven to hash correctly. On glibc Linux the platform package is
 * required directly: the package's own loader first asks `process.report.getReport()`
 * whether libc is musl, which costs ~5-8 ms of every CLI process's start-up. Anywhere that
 * fails (musl, another layout, another platform) the package's loader decides as before.
 */
function loadNapiModule(): NapiModule {
  const candidates = process.platform === 'linux' ? [`@napi-rs/blake-hash-linux-${process.arch}-gnu`, '@napi-rs/blake-hash'] : ['@napi-rs/blake-hash'];
  let lastError: unknown;
  for (const name of candidates) {
    try {
      const mod = require(name) as NapiModule;
      // Prove the addon works before trusting it (a wrong-platform binary can load and misbehave).
      const probe = mod.blake3(new Uint8Array(0) as Buffer).toString('hex');
      if (probe !== 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262') throw new Error(`${name}: napi blake3 self-test failed`);
      return mod;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

function loadNapi(): Blake3Binding {
  const mod = loadNapiModule();
  // Its typings ask for Buffer; the addon reads any Uint8Array (views and shared memory
  // included, which the tests check), so the edge casts once here.
  const asBuffer = (data: Uint8Array): Buffer => data as Buffer;
  return {
    name: 'napi',
    hash: (data) => mod.blake3(asBuffer(data)),
    createHasher() {
      const h = new mod.Blake3Hasher();
      const hasher: Blake3Hasher = {
        update(data) {
          h.update(asBuffer(data));
          return hasher;
        },
        digest: () => h.digestBuffer(),
      };
      return hasher;
    },
  };
}

async function loadWasm(): Promise<Blake3Binding> {
  const { createBLAKE3 } = await import('hash-wasm');
  const shared = await createBLAKE3(256);
  return {
    name: 'wasm',
    hash: (data) => shared.init().update(data).digest('binary'),
    createHasher() {
      // Each incremental hasher keeps its own saved WASM state (about 2 KB), so hashers can
      // interleave with each other and with one-shot hashing. `update` consumes its bytes at
      // once: callers may reuse their buffer (e.g. a Splitter's chunk views) right after.
      let state = shared.init().save();
      const hasher: Blake3Hasher = {
        update(data) {
          state = shared.load(state).update(data).save();
          return hasher;
        },
        digest: () => shared.load(state).digest('binary'),
      };
      return hasher;
    },
  };
}

async function loadNoble(): Promise<Blake3Binding> {
  const { blake3: nobleBlake3 } = await import('@noble/hashes/blake3.js');
  return {
    name: 'noble',
    hash: (data) => nobleBlake3(data),
    createHasher() {
      const h = nobleBlake3.create({});
      const hasher: Blake3Hasher = {
        update(data) {
          h.update(data);
          return hasher;
        },
        digest: () => h.digest(),
      };
      return hasher;
    },
  };
}

/** Loads a specific binding by name; throws if it cannot load here. */
export async function loadBlake3Binding(name: Blake3Binding['name']): Promise<Blake3Binding> {
  switch (name) {
    case 'napi':
      return loadNapi();
    case 'wasm':
      return loadWasm();
    case 'noble':
      return loadNoble();
  }
}

async function loadBest(): Promise<Blake3Binding> {
  const forced = process.env['MEMSNAP_BLAKE3'];
  if (forced === 'napi' || forced === 'wasm' || forced === 'noble') return loadBlake3Binding(forced);
  for (const name of ['napi', 'wasm'] as const) {
    try {
      return await loadBlake3Binding(name);
    } catch {
      // fall through to the next, slower binding
    }
  }
  return loadNoble();
}

/** The binding in use for this process. */
export const blake3Binding: Blake3Binding = await loadBest();

/** The 32-byte BLAKE3-256 digest of `data`, using {@link blake3Binding}. */
export function blake3(data: Uint8Array): Uint8Array {
  return blake3Binding.hash(data);
}
