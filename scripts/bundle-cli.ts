/**
 * Bundles the `memsnap` command; `npm run build` runs it after tsc.
 *
 * Every CLI call is a fresh process, and Node 20's ESM loader spends about 0.4 ms per
 * module resolving, reading, compiling and linking it: ~35-50 ms of a capture's start-up for
 * ~90 modules (docs/ARCHITECTURE.md, "Start-up"). esbuild writes `OUTDIR/main.js` (in the
 * build, replacing tsc's `dist/cli/main.js`) as one entry file plus shared chunks under
 * `OUTDIR/chunks/`. With `splitting`, each command's `await import()` stays its own chunk,
 * so `--version` and `--help` load only the entry and what it imports statically. Packages
 * stay external: native addons, and `createRequire` lookups that resolve from any file under
 * dist/. The entry reads `../../package.json`, so OUTDIR must be two levels below one. The
 * library (`dist/index.js`) stays tsc's file-per-module output.
 *
 *   npx tsx scripts/bundle-cli.ts [OUTDIR]     (default dist/cli)
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles src/cli/main.ts into `outdir` (main.js, main.js.map, chunks/). @throws on a build error. */
export async function bundleCli(outdir: string): Promise<void> {
  rmSync(path.join(outdir, 'chunks'), { recursive: true, force: true });
  await build({
    entryPoints: { main: path.join(ROOT, 'src', 'cli', 'main.ts') },
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
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleCli(path.resolve(process.argv[2] ?? path.join(ROOT, 'dist', 'cli')));
}
