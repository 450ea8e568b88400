/**
 * Bundles the `memsnap` command (run by `npm run build` after tsc).
 *
 * Every CLI call is a fresh process, and Node 20's ESM loader pays about 0.3-0.5 ms per
 * module to resolve, read, compile and link it: ~35 ms of a capture's start-up for ~90
 * modules (docs/ARCHITECTURE.md, "Start-up"). esbuild writes `dist/cli/main.js` (replacing
 * tsc's copy) as one entry file plus shared chunks under `dist/cli/chunks/`; with
 * `splitting`, each command's `await import()` stays a separate chunk, so `--version` and
 * `--help` still load only the entry. Packages stay external (native addons, and
 * `createRequire` lookups resolve from any file under dist/). The library (`dist/index.js`)
 * stays tsc's file-per-module output.
 */
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/cli/', import.meta.url).pathname;
rmSync(`${outdir}chunks`, { recursive: true, force: true });
await build({
  entryPoints: { main: new URL('../src/cli/main.ts', import.meta.url).pathname },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  allowOverwrite: true,
  logLevel: 'warning',
});
