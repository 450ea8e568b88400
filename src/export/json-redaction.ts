/**
 * Redacting the JSON records of a snapshot: runtime state (`sources.state`, by provider
 * name) and key/value fields (`sources.fields`, by key).
 *
 * Key paths are `/`-separated keys: the first names the provider or field, the next ones
 * descend into objects; `*` matches any one key. `cursor` drops the whole `cursor` value,
 * `dream/lastRun` only that member, `*\/token` the `token` member of every value. Arrays are
 * not descended into. Then, when a masker is given, every string value left is masked.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { JsonValue } from '../snapshot/index.js';
import type { TextMasker } from './text-masker.js';

/** A redacted record and what was done to it. */
export interface JsonRedactionResult {
  readonly value: Record<string, JsonValue>;
  /** Key paths removed, as `/`-joined concrete keys. */
  readonly dropped: string[];
  /** Pattern matches replaced. */
  readonly matches: number;
}

/**
 * Drops `keyPaths` from `record`, then masks what is left with `masker` (when given). The
 * input is not changed. `rule` names the drop rule for errors (`dropStateKeys`).
 * @throws InvalidArgumentError when a key left holds a pattern match (keys are never masked).
 */
export function redactJsonRecord(record: Readonly<Record<string, JsonValue>>, keyPaths: readonly string[], masker: TextMasker | undefined, rule = 'dropStateKeys'): JsonRedactionResult {
  const dropped: string[] = [];
  let value = structuredClone(record) as Record<string, JsonValue>;
  for (const keyPath of keyPaths) dropPath(value, keyPath.split('/'), '', dropped);
  let matches = 0;
  if (masker?.active) {
    const leak = keyWithMatch(value, masker, '');
    if (leak !== undefined) throw new InvalidArgumentError(`the key ${leak} holds a match of maskPatterns, and keys are never masked; leave it out with ${rule}`, { key: leak, rule });
    const m = masker.maskJson(value);
    value = m.value as Record<string, JsonValue>;
    matches = m.matches;
  }
  return { value, dropped: [...new Set(dropped)].sort(), matches };
}

function keyWithMatch(node: JsonValue, masker: TextMasker, prefix: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    for (const [i, v] of node.entries()) {
      const found = keyWithMatch(v, masker, `${prefix}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(node)) {
    const at = prefix === '' ? k : `${prefix}/${k}`;
    if (masker.test(k)) return at;
    const found = keyWithMatch(v, masker, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

function dropPath(node: { [key: string]: JsonValue }, segments: readonly string[], prefix: string, dropped: string[]): void {
  const [first, ...rest] = segments;
  const keys = first === '*' ? Object.keys(node) : Object.hasOwn(node, first!) ? [first!] : [];
  for (const key of keys) {
    const at = prefix === '' ? key : `${prefix}/${key}`;
    if (rest.length === 0) {
      delete node[key];
      dropped.push(at);
      continue;
    }
    const child = node[key];
    if (child !== null && typeof child === 'object' && !Array.isArray(child)) dropPath(child, rest, at, dropped);
  }
}
