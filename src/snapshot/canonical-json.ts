/**
 * Canonical JSON: the one byte encoding of metadata objects (trees, lists, snapshots).
 *
 * Object keys sorted by UTF-16 code unit, no whitespace, `undefined` members dropped,
 * only finite safe integers and strings as scalars besides booleans and null. The same
 * value always gives the same bytes, so the same content always gets the same id.
 */
import { InvalidArgumentError } from '../errors/index.js';

/** A value that can be encoded canonically. */
export type CanonicalValue = null | boolean | number | string | CanonicalValue[] | { [key: string]: CanonicalValue | undefined };

/** The canonical text of `value`. @throws InvalidArgumentError for non-integer numbers or unsupported types. */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return canonicalInteger(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as CanonicalValue)}`).join(',')}}`;
  }
  throw new InvalidArgumentError(`cannot encode ${typeof value} canonically`);
}

/** The canonical text of a number. @throws InvalidArgumentError unless it is a safe integer. */
export function canonicalInteger(n: number): string {
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`canonical JSON allows only safe integers, got ${n}`);
  return String(n);
}

/** Canonical UTF-8 bytes of `value`. */
export function canonicalBytes(value: CanonicalValue): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}
