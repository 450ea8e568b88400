/**
 * Seeded generators of benchmark data: random bytes and agent-memory-like text (markdown
 * notes, append-style logs, JSON records). Deterministic for a seed, so runs compare.
 * The text compresses with zstd level 3 to roughly a quarter to a third of its size, like
 * the agent memory measured in MEASURED.md (ratio 4.2-4.5 on 64 KiB chunks).
 */

/** Marsaglia's xorshift128 (period 2^128 - 1) returning uint32s; fast and reproducible. */
export class Rng {
  private x: number;
  private y: number;
  private z: number;
  private w: number;
  constructor(seed: number) {
    this.x = (seed | 0) ^ 0x9e3779b9;
    this.y = Math.imul(seed | 0, 0x85ebca6b) ^ 0x6d656d73;
    this.z = 0x2545f491;
    this.w = Math.imul((seed | 0) ^ 0x5bd1e995, 0xc2b2ae35) | 1;
    for (let i = 0; i < 32; i++) this.next();
  }
  /** A uniform uint32. */
  next(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8));
    return this.w >>> 0;
  }
  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }
  /** An index in [0, n) with a Zipf-like skew (small indices are common). */
  zipf(n: number): number {
    const u = this.next() / 4294967296;
    return Math.min(n - 1, Math.floor(Math.pow(n + 1, u)) - 1);
  }
}

/** `n` random bytes from a seed (faster than crypto for large sizes, reproducible). */
export function randomData(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  const rng = new Rng(seed);
  for (let i = 0; i < words.length; i++) words[i] = rng.next();
  for (let i = words.length * 4; i < n; i++) out[i] = rng.next() & 0xff;
  return out;
}

const SYLLABLES = 'ka lo mi ne ru sa ti vo xe ya ze bu co di fa ge hi ju ke le mo nu pa qu re si to un ve wi'.split(' ');

/** A vocabulary of `n` pseudo-words, deterministic. */
export function vocabulary(n: number, seed = 7): string[] {
  const rng = new Rng(seed);
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = '';
    const parts = 1 + rng.below(4);
    for (let j = 0; j < parts; j++) w += SYLLABLES[rng.below(SYLLABLES.length)];
    words.push(w);
  }
  return words;
}

const VOCAB = vocabulary(300);

/** A sentence of Zipf-distributed words with the occasional number or identifier. */
export function sentence(rng: Rng): string {
  const n = 6 + rng.below(14);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.below(40);
    if (r === 0) parts.push(String(rng.next() % 100000));
    else if (r === 1) parts.push(rng.next().toString(16));
    else parts.push(VOCAB[rng.zipf(VOCAB.length)]!);
  }
  const s = parts.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

/** A markdown note of about `bytes` bytes: a title, sections, paragraphs and bullets. */
export function markdownNote(rng: Rng, bytes: number): string {
  let out = `# ${sentence(rng).slice(0, 40)}\n\n`;
  while (out.length < bytes) {
    const r = rng.below(6);
    if (r === 0) out += `## ${sentence(rng).slice(0, 30)}\n\n`;
    else if (r === 1) out += `- ${sentence(rng)}\n- ${sentence(rng)}\n\n`;
    else out += `${sentence(rng)} ${sentence(rng)} ${sentence(rng)}\n\n`;
  }
  return out.slice(0, bytes);
}

/** One line of an append-style agent log. */
export function logLine(rng: Rng, t: number): string {
  const levels = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
  const ts = new Date(1_700_000_000_000 + t * 1000).toISOString();
  return `${ts} ${levels[rng.below(levels.length)]} [${VOCAB[rng.zipf(50)]}] ${sentence(rng)}\n`;
}

/** One JSON record like an agent's memory row or tool result. */
export function jsonRecord(rng: Rng, id: number): string {
  return `${JSON.stringify({
    id,
    kind: ['memory', 'concept', 'tool_result', 'compaction'][rng.below(4)],
    created: 1_700_000_000 + id * 37,
    importance: rng.below(1000) / 1000,
    tags: [VOCAB[rng.zipf(200)], VOCAB[rng.zipf(200)]],
    text: sentence(rng),
  })}\n`;
}

/** About `n` bytes of mixed agent-memory text (notes, log lines and JSON records). */
export function textData(n: number, seed = 1): Uint8Array {
  const rng = new Rng(seed);
  const parts: string[] = [];
  let size = 0;
  let t = 0;
  while (size < n) {
    const r = rng.below(3);
    let s: string;
    if (r === 0) s = markdownNote(rng, 1000 + rng.below(19_000));
    else if (r === 1) s = Array.from({ length: 20 + rng.below(80) }, () => logLine(rng, t++)).join('');
    else s = Array.from({ length: 10 + rng.below(50) }, () => jsonRecord(rng, t++)).join('');
    parts.push(s);
    size += s.length;
  }
  return Buffer.from(parts.join('').slice(0, n), 'latin1');
}
