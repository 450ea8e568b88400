/**
 * The tree is the architecture: this test scans every import of src/**\/*.ts and fails on an
 * edge the layering forbids (docs: STYLE.md "The tree is the architecture").
 *
 *   errors ← hash, chunker ← cas ← ingest ← snapshot ← capture, export, gc ← cli
 *   (and capture ← restore ← cli: an in-place restore captures first)
 *
 * A new top-level folder under src/ fails the test until it is added to ALLOWED below.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The layers below each layer that it may import. `src/index.ts` is the layer `index`. */
const BELOW_SNAPSHOT = ['errors', 'hash', 'chunker', 'cas', 'ingest', 'snapshot'];
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  hash: ['errors'],
  chunker: ['errors'],
  cas: ['errors', 'hash', 'chunker'],
  ingest: ['errors', 'hash', 'chunker', 'cas'],
  snapshot: ['errors', 'hash', 'chunker', 'cas', 'ingest'],
  capture: BELOW_SNAPSHOT,
  export: BELOW_SNAPSHOT,
  gc: BELOW_SNAPSHOT,
  // Added with src/restore (writes a snapshot back to disk). An in-place restore first takes a
  // pre-operation capture, so restore sits above capture (and capture never imports restore).
  restore: [...BELOW_SNAPSHOT, 'capture'],
  // Read-only views of snapshots (walk, cat, diff, stats, verify).
  inspect: BELOW_SNAPSHOT,
  cli: ['errors', 'hash', 'chunker', 'cas', 'ingest', 'snapshot', 'capture', 'export', 'gc', 'restore', 'inspect', 'index'],
  // The public API re-exports the library, never the CLI.
  index: ['errors', 'hash', 'chunker', 'cas', 'ingest', 'snapshot', 'capture', 'export', 'gc', 'restore', 'inspect'],
};

/** One import of one file. */
export interface ImportEdge {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
}

/** Static imports and re-exports (`import ... from`, `export ... from`, `import '...'`), `import()` and `require()`. */
export function findImports(file: string, source: string): ImportEdge[] {
  // Blank out comments (keeping line breaks) so commented examples are not imports.
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ' '));
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  const edges: ImportEdge[] = [];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      edges.push({ file, line: code.slice(0, m.index).split('\n').length, specifier: m[1]! });
    }
  }
  return edges;
}

/** The layer of a file path relative to src (`cas/chunk-store.ts` → `cas`, `index.ts` → `index`). */
export function layerOf(relative: string): string {
  const parts = relative.split('/');
  return parts.length === 1 ? parts[0]!.replace(/\.[cm]?[jt]s$/, '') : parts[0]!;
}

/** Forbidden edges among `files` (paths relative to src, with their source). */
export function forbiddenImports(files: ReadonlyMap<string, string>, allowed: Readonly<Record<string, readonly string[]>> = ALLOWED): string[] {
  const problems: string[] = [];
  for (const [file, source] of files) {
    const from = layerOf(file);
    if (!(from in allowed)) {
      problems.push(
        `src/${file}: unknown top-level ${file.includes('/') ? 'folder' : 'file'} "${from}"; add it to the allowed-edges table ALLOWED in test/architecture/imports.test.ts (which layers may it import?)`,
      );
      continue;
    }
    for (const edge of findImports(file, source)) {
      if (!edge.specifier.startsWith('.')) continue; // packages and node: builtins
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), edge.specifier));
      const where = `src/${file}:${edge.line} imports '${edge.specifier}'`;
      if (target.startsWith('../') || target === '..') {
        problems.push(`${where}, which is outside src/`);
        continue;
      }
      const to = layerOf(target);
      if (to === from) continue;
      if (to === 'index' && !allowed[from]!.includes('index')) problems.push(`${where}: only the CLI and code outside the library may import the public entry point src/index.ts`);
      else if (!allowed[from]!.includes(to)) problems.push(`${where}: layer "${from}" may import only [${allowed[from]!.join(', ')}], not "${to}"`);
    }
  }
  return problems;
}

function sourceFiles(dir: string, base = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = base === '' ? entry.name : `${base}/${entry.name}`;
    if (entry.isDirectory()) for (const [k, v] of sourceFiles(path.join(dir, entry.name), rel)) out.set(k, v);
    else if (entry.isFile() && entry.name.endsWith('.ts')) out.set(rel, readFileSync(path.join(dir, entry.name), 'utf8'));
  }
  return out;
}

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

describe('layering of src/', () => {
  it('has no forbidden import edges', () => {
    const files = sourceFiles(SRC);
    expect(files.size).toBeGreaterThan(10);
    expect(forbiddenImports(files)).toEqual([]);
  });

  it('every top-level folder of src/ is in the allowed-edges table', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const unknown = folders.filter((f) => !(f in ALLOWED));
    expect(unknown, `add ${unknown.join(', ')} to ALLOWED in test/architecture/imports.test.ts`).toEqual([]);
  });
});

describe('the import checker itself', () => {
  const check = (files: Record<string, string>) => forbiddenImports(new Map(Object.entries(files)));

  it('finds every kind of import and ignores comments', () => {
    const src = [
      "import { a } from '../errors/index.js';",
      "import type { B } from '../hash/index.js';",
      "export * from './local.js';",
      "export { c } from '../chunker/index.js';",
      "import '../side-effect/x.js';",
      "const m = await import('../snapshot/index.js');",
      "const r = require('../gc/index.js');",
      'import {',
      '  d,',
      "} from '../cas/index.js';",
      "// import { x } from '../cli/main.js';",
      "/* export * from '../cli/main.js'; */",
      "import Database from 'better-sqlite3';",
    ].join('\n');
    expect(findImports('cas/x.ts', src).map((e) => `${e.line}:${e.specifier}`).sort()).toEqual(
      ['1:../errors/index.js', '2:../hash/index.js', '3:./local.js', '4:../chunker/index.js', '5:../side-effect/x.js', '6:../snapshot/index.js', '7:../gc/index.js', '8:../cas/index.js', '13:better-sqlite3'].sort(),
    );
  });

  it('allows the layering and refuses upward and sideways edges', () => {
    expect(check({ 'cas/a.ts': "import { x } from '../hash/index.js';\nimport { y } from './b.js';", 'cli/main.ts': "import '../gc/index.js';\nimport '../index.js';" })).toEqual([]);
    expect(check({ 'errors/e.ts': "import { x } from '../hash/index.js';" })).toEqual([expect.stringMatching(/src\/errors\/e\.ts:1 .*layer "errors" may import only \[\], not "hash"/)]);
    expect(check({ 'cas/a.ts': "import type { S } from '../snapshot/snapshot.js';" })).toHaveLength(1);
    expect(check({ 'chunker/a.ts': "import { x } from '../hash/blake3.js';" })).toHaveLength(1);
    expect(check({ 'export/a.ts': "import { x } from '../capture/index.js';" })).toHaveLength(1);
    expect(check({ 'gc/a.ts': "import { x } from '../cli/main.js';" })).toHaveLength(1);
    expect(check({ 'snapshot/a.ts': "import { x } from '../ingest/index.js';" })).toEqual([]);
  });

  it('refuses imports of the CLI from src/index.ts, of src/index.ts from inside, and of files outside src', () => {
    expect(check({ 'index.ts': "export * from './cli/main.js';" })).toEqual([expect.stringMatching(/layer "index" may import only .* not "cli"/)]);
    expect(check({ 'cas/a.ts': "import { x } from '../index.js';" })).toEqual([expect.stringMatching(/public entry point/)]);
    expect(check({ 'cas/a.ts': "import { x } from '../../test/helpers/x.js';" })).toEqual([expect.stringMatching(/outside src/)]);
  });

  it('fails on an unknown top-level folder with a message saying where to add it', () => {
    expect(check({ 'plugins/p.ts': "import '../errors/index.js';" })).toEqual([expect.stringMatching(/unknown top-level folder "plugins"; add it to the allowed-edges table ALLOWED in test\/architecture\/imports\.test\.ts/)]);
  });
});
