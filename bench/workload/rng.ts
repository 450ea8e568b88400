/**
 * The workload's seeded random numbers: a small, fast xoshiro128** generator (seeded
 * through splitmix32) with the draws the generator and the mutator need. Deterministic for
 * a seed on every machine, so two runs with the same seed build the same agent.
 */

/** A seeded pseudo-random generator. Not cryptographic; for reproducible workloads only. */
export class WorkloadRng {
  private readonly s = new Uint32Array(4);

  /** @param seed any number; only its low 32 bits are used. */
  constructor(seed: number) {
    let sm = seed | 0;
    for (let i = 0; i < 4; i++) {
      sm = (sm + 0x9e3779b9) | 0;
      let z = sm;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      this.s[i] = (z ^ (z >>> 15)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s[2] = s[2]! ^ s0;
    s[3] = s[3]! ^ s1;
    s[1] = s1 ^ s[2]!;
    s[0] = s0 ^ s[3]!;
    s[2] = s[2]! ^ t;
    const s3 = s[3]!;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A uniform integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of `items` (must not be empty), uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** An index in [0, n) skewed towards 0 (Zipf-like, exponent about 1): common words first. */
  zipf(n: number): number {
    return Math.min(n - 1, Math.floor(Math.pow(n + 1, this.float())) - 1);
  }

  /** A roughly normal draw (mean 0, sd 1), from the sum of four uniforms. */
  normal(): number {
    return (this.float() + this.float() + this.float() + this.float() - 2) * 1.7320508;
  }

  /** A log-normal size around `median`, clamped to [min, max]. `spread` is the sd of the log. */
  size(median: number, spread: number, min: number, max: number): number {
    return Math.max(min, Math.min(max, Math.round(median * Math.exp(this.normal() * spread))));
  }

  /** A 32-bit seed derived from this stream, for an independent child generator. */
  fork(): WorkloadRng {
    return new WorkloadRng(this.u32());
  }
}
