/**
 * Redacting the JSON records of a snapshot: runtime state (`sources.state`, by provider
 * name) and key/value fields (`sources.fields`, by key).
 *
 * Key paths are `/`-separated keys: the first names the provider or field, the next ones
 * descend into objects; `*` matches any one key. `cursor` drops the whole `cursor` value,
 * `dream/lastRun` only that member, `*\/token` the `token` member of every value. Arrays are
 * not descended into. Then, when a masker is given, every string value left is masked.
 */
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

/** Drops `keyPaths` from `record`, then masks what is left with `masker` (when given). The input is not changed. */
export function redactJsonRecord(record: Readonly<Record<string, JsonValue>>, keyPaths: readonly string[], masker: TextMasker | undefined): JsonRedactionResult {
  const dropped: string[] = [];
  let value = structuredClone(record) as Record<string, JsonValue>;
  for (const keyPath of keyPaths) dropPath(value, keyPath.split('/'), '', dropped);
  let matches = 0;
  if (masker?.active) {
    const m = masker.maskJson(value);
    value = m.value as Record<string, JsonValue>;
    matches = m.matches;
  }
  return { value, dropped: [...new Set(dropped)].sort(), matches };
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
