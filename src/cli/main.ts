#!/usr/bin/env node
/**
 * The `memsnap` command. Parses the command name, loads only that command's module (lean
 * start-up: every call is a fresh process), and turns errors into messages and exit codes
 * through the one table in exit-codes.ts. The only place that prints errors or exits.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, MemsnapError } from '../errors/index.js';
import { createRequire } from 'node:module';
import type { Command } from './command.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { Output } from './output.js';

/** The package version, read from package.json. */
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  init: { summary: 'create a store', load: async () => (await import('./commands/init.js')).initCommand },
  capture: { summary: 'snapshot an agent directory (files, SQLite, state)', load: async () => (await import('./commands/capture.js')).captureCommand },
  watch: { summary: 'capture an agent directory whenever it changes', load: async () => (await import('./commands/watch.js')).watchCommand },
  log: { summary: "list an agent's snapshots", load: async () => (await import('./commands/log.js')).logCommand },
  show: { summary: 'show one snapshot', load: async () => (await import('./commands/show.js')).showCommand },
  diff: { summary: 'compare two snapshots (paths, database rows, state)', load: async () => (await import('./commands/diff.js')).diffCommand },
  restore: { summary: 'restore a snapshot, whole or in part', load: async () => (await import('./commands/restore.js')).restoreCommand },
  cat: { summary: 'print one file of a snapshot', load: async () => (await import('./commands/cat.js')).catCommand },
  stats: { summary: 'store totals and dedup ratio', load: async () => (await import('./commands/stats.js')).statsCommand },
  verify: { summary: 'check every chunk (of one snapshot or the whole store)', load: async () => (await import('./commands/verify.js')).verifyCommand },
  forget: { summary: 'remove snapshots by retention policy, by name, or a whole agent', load: async () => (await import('./commands/forget.js')).forgetCommand },
  gc: { summary: 'reclaim chunks no snapshot needs (safe beside running captures)', load: async () => (await import('./commands/gc.js')).gcCommand },
  policy: { summary: 'save/show/clear the retention policy applied after captures', load: async () => (await import('./commands/policy.js')).policyCommand },
  export: { summary: 'write snapshots to a portable bundle (.tar.zst)', load: async () => (await import('./commands/export.js')).exportCommand },
  import: { summary: 'add the snapshots of a bundle to the store', load: async () => (await import('./commands/import.js')).importCommand },
  bundle: { summary: 'verify a bundle file without a store', load: async () => (await import('./commands/bundle.js')).bundleCommand },
  repair: { summary: 'rebuild the index from the packs', load: async () => (await import('./commands/repair.js')).repairCommand },
  demo: { summary: 'build a sample agent, capture turns, show log/diff/stats/restore', load: async () => (await import('./commands/demo.js')).demoCommand },
};

function help(): string {
  const names = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  const codes = EXIT_CODES.map((c) => `  ${String(c.exit).padStart(2)}  ${c.meaning}`);
  return [
    'memsnap: content-addressed snapshots of AI agent memory',
    '',
    'Usage: memsnap COMMAND [options]    (memsnap COMMAND --help for details)',
    '',
    'Commands:',
    ...names,
    '',
    'Options for every command:',
    '  --store DIR   the store (default: $MEMSNAP_STORE, else $XDG_DATA_HOME/memsnap or ~/.local/share/memsnap)',
    '  --json        print one JSON document for scripts',
    '  -h, --help    help',
    '',
    'Snapshots are named by id prefix, AGENT or AGENT@latest, AGENT@N (its N-th snapshot),',
    'AGENT~N (N before the head), AGENT@TAG, or a tag.',
    '',
    '  -V, --version print the version',
    '',
    'Exit codes:',
    ...codes,
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const json = argv.includes('--json');
  const out = new Output(json);
  // A reader that stops early (`memsnap log | head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(json ? `${JSON.stringify({ version: VERSION })}\n` : `memsnap ${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) return report(new InvalidArgumentError(`unknown command ${JSON.stringify(name)}; run memsnap --help`), out);
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, { out, env });
  } catch (err) {
    return report(err, out);
  }
}

function report(err: unknown, out: Output): number {
  if (err instanceof MemsnapError) {
    if (out.json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
    else out.note(`memsnap: ${err.message}`);
    return exitCodeFor(err.code);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  if (out.json) process.stdout.write(`${JSON.stringify({ error: { name: e.name, code: 'INTERNAL', message: e.message } }, null, 2)}\n`);
  else out.note(`memsnap: internal error: ${e.stack ?? e.message}`);
  return 1;
}

/** Resolves once everything written to `stream` so far is handed to the OS (pipe writes may be asynchronous, e.g. on macOS). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

// Run only when executed as the program (not when a test imports `main`). A finished command
// exits at once instead of letting the event loop drain: draining waits for V8's background
// GC tasks and idle pool workers, ~15 ms after a capture (docs/ARCHITECTURE.md, "Start-up").
// Commands await all their own work, so nothing is cut short but idle threads.
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
