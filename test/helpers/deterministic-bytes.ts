/**
 * Reproducible test payloads without a dependency on the chunker's seeded-random helper:
 * AES-128-CTR keystream keyed by a seed string. Incompressible, fast (GB/s), and the same
 * bytes on every machine for the same seed.
 */
import { createCipheriv, createHash } from 'node:crypto';

/** `length` pseudo-random (incompressible) bytes determined by `seed`. */
export function pseudoRandomBytes(seed: string | number, length: number): Buffer {
  const key = createHash('sha256').update(`memsnap-test:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return cipher.update(Buffer.alloc(length));
}

/** `length` highly compressible bytes (repeated text) determined by `seed`. */
export function compressibleBytes(seed: string | number, length: number): Buffer {
  const line = Buffer.from(`memory ${seed}: the agent remembered the user prefers short answers.\n`);
  const out = Buffer.alloc(length);
  for (let at = 0; at < length; at += line.length) line.copy(out, at, 0, Math.min(line.length, length - at));
  return out;
}

/** A small deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function seededUnit(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
