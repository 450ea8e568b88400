/**
 * Masking text: every match of every pattern, in the order the rules list them, is replaced
 * by the marker. Strings, file bytes and JSON values (string values at any depth; object
 * keys are left alone).
 *
 * File bytes are masked as UTF-8 text when they decode and re-encode to the same bytes, and
 * otherwise byte by byte (each byte one Latin-1 character), so a pattern of ASCII characters
 * finds its matches in binary files too, and bytes that match nothing come out unchanged.
 */
import type { JsonValue } from '../snapshot/index.js';

/** A masked value and how many matches were replaced. */
export interface Masked<T> {
  readonly value: T;
  readonly matches: number;
}

/** Masks text with compiled patterns. */
export class TextMasker {
  private readonly patterns: readonly RegExp[];

  /**
   * @param patterns regular expression sources, compiled with flags `gu` (validated by the rules parser)
   * @param marker the replacement of every match
   */
  constructor(
    patterns: readonly string[],
    readonly marker: string,
  ) {
    this.patterns = patterns.map((p) => new RegExp(p, 'gu'));
  }

  /** Whether there is any pattern at all. */
  get active(): boolean {
    return this.patterns.length > 0;
  }

  /** Whether `text` holds a match of any pattern. */
  test(text: string): boolean {
    return this.patterns.some((re) => {
      re.lastIndex = 0;
      return re.test(text);
    });
  }

  /** `text` with every match replaced. */
  maskString(text: string): Masked<string> {
    let matches = 0;
    let value = text;
    for (const re of this.patterns) {
      re.lastIndex = 0;
      value = value.replace(re, () => {
        matches++;
        return this.marker;
      });
    }
    return { value, matches };
  }

  /** File bytes with every match replaced (see the module comment for the encoding). */
  maskBytes(bytes: Uint8Array): Masked<Uint8Array> {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const utf8 = buffer.toString('utf8');
    const encoding: BufferEncoding = Buffer.byteLength(utf8, 'utf8') === buffer.length && Buffer.from(utf8, 'utf8').equals(buffer) ? 'utf8' : 'latin1';
    const text = encoding === 'utf8' ? utf8 : buffer.toString('latin1');
    const masked = this.maskString(text);
    return masked.matches === 0 ? { value: bytes, matches: 0 } : { value: Buffer.from(masked.value, encoding), matches: masked.matches };
  }

  /** A JSON value with every string value (at any depth) masked. */
  maskJson(value: JsonValue): Masked<JsonValue> {
    let matches = 0;
    const walk = (v: JsonValue): JsonValue => {
      if (typeof v === 'string') {
        const m = this.maskString(v);
        matches += m.matches;
        return m.value;
      }
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    const out = walk(value);
    return { value: out, matches };
  }
}
