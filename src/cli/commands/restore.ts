import * as path from 'node:path';
import { JsonFileStateProvider } from '../../capture/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { restoreSnapshot } from '../../restore/index.js';
import { many, parseCommandArgs, positionals, namedPaths, storeDir, withRepository, type Command } from '../command.js';
import { decryptionFrom, PASSPHRASE_OPTIONS, PASSPHRASE_USAGE } from '../bundle-keys.js';
import { withBundleStore } from '../restore-from-bundle.js';
import type { Repository } from '../../snapshot/index.js';
import { formatBytes } from '../output.js';

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'restore a snapshot',
  usage: `Usage: memsnap restore SNAPSHOT --target DIR [options]
       memsnap restore --from-bundle FILE [SNAPSHOT] --target DIR [options]

Restores byte for byte: contents, modes, mtimes, symlinks, empty directories, databases.
A whole restore into a new directory is atomic. An existing non-empty directory needs
--in-place; memsnap then first takes a pre-operation snapshot of it.

Options:
  --target DIR          where to restore (required)
  --in-place            allow restoring into an existing non-empty directory
  --no-pre-snapshot     with --in-place: do not capture the directory first
  --keep GLOB           with --in-place: carry these paths of the current directory over
                        untouched (e.g. what capture excludes); repeatable
  --path GLOB           restore only matching files (repeatable)
  --database PATH       restore only this database (a path in the directory, or an external one's name or path)
  --database-target NAME=PATH   where external database NAME goes (repeatable)
  --databases-to-origin         write external databases back where they were captured from
  --state-only          restore only runtime state (--state) and fields
  --state NAME=FILE     where state NAME goes back to (repeatable)
  --no-fields           do not restore the agent's key/value fields
  --durable             fsync every restored file before returning (slower)
  --from-bundle FILE    restore from a bundle file (- for stdin) instead of the store: it is
                        verified into a temporary store beside the target, then removed;
                        SNAPSHOT defaults to the bundle's head when it holds one agent;
                        not with --in-place or --databases-to-origin
  -i, --identity FILE   with --from-bundle: age identity file (repeatable)
${PASSPHRASE_USAGE}`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, {
      target: { type: 'string', short: 't' },
      'in-place': { type: 'boolean' },
      'no-pre-snapshot': { type: 'boolean' },
      keep: { type: 'string', multiple: true },
      path: { type: 'string', multiple: true },
      database: { type: 'string' },
      'database-target': { type: 'string', multiple: true },
      'databases-to-origin': { type: 'boolean' },
      'state-only': { type: 'boolean' },
      state: { type: 'string', multiple: true },
      'no-fields': { type: 'boolean' },
      durable: { type: 'boolean' },
      'from-bundle': { type: 'string' },
      identity: { type: 'string', short: 'i', multiple: true },
      ...PASSPHRASE_OPTIONS,
    });
    const fromBundle = values['from-bundle'];
    const [ref] = positionals(pos, fromBundle === undefined ? 1 : 0, 1, fromBundle === undefined ? 'one snapshot' : 'at most one snapshot');
    if (!values.target) throw new InvalidArgumentError('restore needs --target DIR');
    if (fromBundle !== undefined && values['in-place']) {
      throw new InvalidArgumentError('--from-bundle restores into a new directory only; import the bundle and restore --in-place from the store (which keeps the pre-operation snapshot)');
    }
    if (fromBundle !== undefined && values['databases-to-origin']) {
      // A bundle's origins are absolute paths written by whoever made it: never a default target.
      throw new InvalidArgumentError('--databases-to-origin is refused with --from-bundle (the bundle names the paths); give --database-target NAME=PATH');
    }
    const restore = async (repo: Repository, snapshot: string): Promise<number> => {
      const bar = out.progress('restore');
      const paths = many(values.path);
      const result = await restoreSnapshot(repo, {
        snapshot,
        target: path.resolve(values.target!),
        inPlace: values['in-place'] ?? false,
        preSnapshot: !values['no-pre-snapshot'],
        keep: many(values.keep),
        ...(paths.length ? { paths } : {}),
        ...(values.database ? { database: values.database } : {}),
        databaseTargets: Object.fromEntries(namedPaths(many(values['database-target']), 'database-target').map((s) => [s.name, s.file])),
        databasesToOrigin: values['databases-to-origin'] ?? false,
        stateOnly: values['state-only'] ?? false,
        stateProviders: namedPaths(many(values.state), 'state').map((s) => new JsonFileStateProvider(s.name, s.file)),
        ...(values['no-fields'] ? { fields: false } : {}),
        durable: values.durable ?? false,
        ...(bar.callback ? { onProgress: bar.callback } : {}),
      });
      bar.done();
      out.result(result, () => {
        if (result.preSnapshot) out.line(`saved the previous state as ${result.preSnapshot.agent}@${result.preSnapshot.seq} ${result.preSnapshot.id.slice(0, 12)}`);
        const s = result.stats;
        out.line(`restored ${result.snapshot.agent}@${result.snapshot.seq} ${result.snapshot.id.slice(0, 12)} into ${result.target}`);
        out.line(`  ${s.files} files, ${s.databases} databases, ${s.dirs} dirs, ${s.symlinks} symlinks, ${formatBytes(s.bytes)}`);
        if (result.stateRestored.length) out.line(`  state: ${result.stateRestored.join(', ')}`);
        for (const d of result.databasesRestored) out.line(`  database ${d.name} -> ${d.path}`);
        if (result.databasesSkipped.length) out.line(`  not restored (give --database-target NAME=PATH or --databases-to-origin): ${result.databasesSkipped.join(', ')}`);
      });
      return 0;
    };
    if (fromBundle !== undefined) {
      const decryption = await decryptionFrom(values, env);
      const bar = out.progress('import');
      return withBundleStore(fromBundle, values.target, ref, { decryption, ...(bar.callback ? { onProgress: bar.callback } : {}) }, (repo, snapshot) => {
        bar.done();
        return restore(repo, snapshot);
      });
    }
    return withRepository(storeDir(values.store, env), (repo) => restore(repo, ref!));
  },
};
