import type { ParseArgsConfig } from 'node:util';
import { JsonFileStateProvider, captureAgent, type CaptureOptions } from '../../capture/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { applySavedPolicy } from '../../gc/index.js';
import { SNAPSHOT_KINDS, type SnapshotKind } from '../../snapshot/index.js';
import { many, openRepository, parseCommandArgs, positionals, namedPaths, storeDir, type Command } from '../command.js';
import { formatBytes } from '../output.js';

/** Flags of `capture` (and of `watch`, which captures the same way). */
export const CAPTURE_FLAGS = {
  agent: { type: 'string' },
  kind: { type: 'string' },
  tag: { type: 'string', multiple: true },
  message: { type: 'string', short: 'm' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  state: { type: 'string', multiple: true },
  database: { type: 'string', multiple: true },
  'idempotency-key': { type: 'string' },
  'no-git': { type: 'boolean' },
  'no-forget': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/** Parsed capture flags. */
export interface CaptureFlagValues {
  agent?: string | undefined;
  kind?: string | undefined;
  tag?: string[] | undefined;
  message?: string | undefined;
  include?: string[] | undefined;
  exclude?: string[] | undefined;
  state?: string[] | undefined;
  database?: string[] | undefined;
  'no-git'?: boolean | undefined;
}

/** Capture options from parsed flags. @throws InvalidArgumentError for a bad --kind or --state. */
export function captureOptionsFrom(values: CaptureFlagValues, dir: string, defaultKind: SnapshotKind): CaptureOptions {
  const kind = values.kind ?? defaultKind;
  if (!SNAPSHOT_KINDS.includes(kind as SnapshotKind)) throw new InvalidArgumentError(`--kind must be one of ${SNAPSHOT_KINDS.join(', ')}`);
  return {
    dir,
    ...(values.agent ? { agent: values.agent } : {}),
    kind: kind as SnapshotKind,
    tags: many(values.tag),
    ...(values.message ? { message: values.message } : {}),
    include: many(values.include),
    exclude: many(values.exclude),
    databases: many(values.database),
    stateProviders: namedPaths(many(values.state), 'state').map((s) => new JsonFileStateProvider(s.name, s.file)),
    git: !values['no-git'],
  };
}

export const captureCommand: Command = {
  name: 'capture',
  summary: 'snapshot an agent directory',
  usage: `Usage: memsnap capture [DIR] [options]

Takes one atomic snapshot of DIR (default: the current directory): every file, directory
and symlink, every SQLite database (as a consistent image, even while it is written),
the agent's key/value fields, and runtime state files given with --state.

Options:
  --agent ID              agent id (default: derived from DIR's name)
  --kind KIND             automatic | manual | pre-operation | recovery (default manual)
  --tag TAG               tag the snapshot (repeatable)
  -m, --message TEXT      a message
  --include GLOB          capture only matching files (repeatable)
  --exclude GLOB          leave matching files and directories out (repeatable)
  --state NAME=FILE       capture a JSON state file under NAME (repeatable)
  --database PATH         also capture this SQLite database, e.g. one outside DIR (repeatable)
  --idempotency-key KEY   a retry with the same key and content is a no-op
  --no-git                do not record git HEAD/branch/dirtiness
  --no-forget             do not apply the saved retention policy afterwards
  --store DIR, --json     see memsnap --help`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, CAPTURE_FLAGS);
    const [dir = '.'] = positionals(pos, 0, 1, 'at most one directory');
    const store = storeDir(values.store, env);
    const { repo, created } = await openRepository(store, true);
    if (created) out.note(`created store ${store}`);
    const bar = out.progress('capture');
    try {
      const result = await captureAgent(repo, {
        ...captureOptionsFrom(values, dir, 'manual'),
        ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
        ...(bar.callback ? { onProgress: bar.callback } : {}),
      });
      bar.done();
      for (const w of result.warnings) out.note(`warning: ${w}`);
      const forgot = values['no-forget'] ? undefined : applySavedPolicy(repo, result.snapshot.agent);
      out.result({ store, ...result, ...(forgot ? { forget: forgot } : {}) }, () => {
        const s = result.stats;
        out.line(`${result.replayed ? 'already captured' : 'captured'} ${result.snapshot.agent}@${result.snapshot.seq} ${result.snapshot.id.slice(0, 12)}`);
        out.line(
          `  ${s.filesRead} files read, ${s.filesReused} unchanged; ${s.databasesRead} databases read, ${s.databasesReused} unchanged; ` +
            `${formatBytes(s.bytesStored)} new in store; ${s.durationMs.toFixed(0)} ms`,
        );
        if (forgot?.removed) out.line(`  retention policy removed ${forgot.removed} older snapshot(s); memsnap gc reclaims their space`);
      });
      return 0;
    } finally {
      bar.done();
      await repo.close();
    }
  },
};
