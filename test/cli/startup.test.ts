/**
 * Every `memsnap` call is a fresh process, so a command loads only what it needs
 * (docs/ARCHITECTURE.md, "Start-up"). These tests check what the process loaded, through a
 * loader hook and `process.moduleLoadList` (test/helpers/module-trace.mjs), never timing.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleCli } from '../../scripts/bundle-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(HERE, '../../src/cli/main.ts');
const TRACE = path.resolve(HERE, '../helpers/module-trace.mjs');
const tempDir = useTempDirs('memsnap-startup-');

/** Library layers a bare `--version` or `--help` must not load. */
const LAYERS = ['hash', 'chunker', 'cas', 'ingest', 'snapshot', 'capture', 'restore', 'inspect', 'gc', 'export'];
/** Packages (native addons, bundle and git code) only commands that use them may load. */
const HEAVY = ['better-sqlite3', 'zstd-napi', '@napi-rs/blake-hash', 'isomorphic-git', 'age-encryption', 'tar-stream', 'lru-cache', 'hash-wasm', '@noble/hashes'];
/** Built-ins that only a command's work needs (worker pools, git, random ids, streams of bundles). */
const HEAVY_BUILTINS = ['worker_threads', 'child_process', 'crypto', 'zlib'];

/**
 * Runs `memsnap ...args` with the module trace, from sources through tsx or from the given
 * bundle entry; returns the exit code and what was loaded.
 */
function traced(args: string[], bundle?: string): { code: number; urls: string[]; builtins: string[] } {
  const trace = path.join(tempDir(), 'trace.txt');
  fs.writeFileSync(trace, '');
  const node = bundle ? ['--import', TRACE, bundle] : ['--import', 'tsx', '--import', TRACE, MAIN];
  const r = spawnSync(process.execPath, [...node, ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: '/tmp', MEMSNAP_MODULE_TRACE: trace },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = fs.readFileSync(trace, 'utf8').split('\n');
  return {
    code: r.status ?? -1,
    urls: lines.filter((l) => l.startsWith('url ')).map((l) => l.slice(4)),
    builtins: lines.filter((l) => l.startsWith('builtin ')).map((l) => l.slice(8)),
  };
}

/** The library layers and heavy packages among `urls`. */
function heavy(urls: string[]): string[] {
  return urls.filter((u) => LAYERS.some((l) => u.includes(`/src/${l}/`)) || HEAVY.some((p) => u.includes(`/node_modules/${p}/`)));
}

/** The code of the loaded bundle files (`urls` under `dir`). */
function bundleCode(urls: string[], dir: string): string {
  return urls
    .filter((u) => u.startsWith('file:') && fileURLToPath(u).startsWith(dir))
    .map((u) => fs.readFileSync(fileURLToPath(u), 'utf8'))
    .join('\n');
}

describe('CLI start-up', () => {
  for (const args of [['--version'], ['--version', '--json'], ['--help'], [], ['no-such-command']]) {
    it(`memsnap ${args.join(' ') || '(no arguments)'} loads no library layer, native addon or heavy built-in`, () => {
      const run = traced(args);
      expect(run.urls.some((u) => u.endsWith('/src/cli/main.ts')), 'the trace saw the entry point').toBe(true);
      expect(heavy(run.urls)).toEqual([]);
      expect(run.builtins.filter((b) => HEAVY_BUILTINS.includes(b))).toEqual([]);
    });
  }

  it('a command loads its own modules, and not those of other commands (and the trace sees them)', () => {
    const run = traced(['capture', '--help']);
    expect(run.code).toBe(0);
    expect(run.urls.some((u) => u.includes('/src/capture/'))).toBe(true);
    expect(run.urls.filter((u) => /\/src\/(export|restore|inspect)\/|\/src\/cli\/commands\/(?!capture)/.test(u))).toEqual([]);
    expect(run.urls.filter((u) => /\/node_modules\/(isomorphic-git|age-encryption|tar-stream)\//.test(u))).toEqual([]);
    expect(run.builtins).not.toContain('worker_threads');
  });

  it('the bundled command (scripts/bundle-cli.ts) keeps --version and --help lean, built-ins included', async () => {
    // Bundled into a temporary dist/cli beside a copy of package.json (the entry reads
    // ../../package.json); without tsx in the process, its built-ins are visible too.
    const root = tempDir();
    fs.copyFileSync(path.resolve(HERE, '../../package.json'), path.join(root, 'package.json'));
    const outdir = path.join(root, 'dist', 'cli');
    await bundleCli(outdir);
    const entry = path.join(outdir, 'main.js');
    for (const args of [['--version'], ['--help']]) {
      const run = traced(args, entry);
      expect(run.code).toBe(0);
      expect(run.urls.filter((u) => u.startsWith('file:') && !fileURLToPath(u).startsWith(outdir))).toEqual([]);
      // The bundle imports packages by name (they stay external): none may be among the loaded files.
      const code = bundleCode(run.urls, outdir);
      expect(HEAVY.filter((p) => code.includes(`from "${p}"`) || code.includes(`require("${p}")`))).toEqual([]);
      expect(run.builtins.filter((b) => HEAVY_BUILTINS.includes(b))).toEqual([]);
      expect(run.urls.length, 'entry and a few small shared chunks').toBeLessThanOrEqual(6);
    }
    // The commands are separate chunks, loaded on demand.
    expect(fs.readdirSync(path.join(outdir, 'chunks')).some((f) => f.startsWith('capture-'))).toBe(true);
  });
});
