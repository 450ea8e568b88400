import { InvalidArgumentError } from '../../errors/index.js';
import { exportBundle } from '../../export/index.js';
import type { ContentId } from '../../hash/index.js';
import { resolveSnapshot } from '../../snapshot/index.js';
import { encryptionFrom, PASSPHRASE_OPTIONS, PASSPHRASE_USAGE } from '../bundle-keys.js';
import { writeBundleOutput } from '../bundle-files.js';
import { intOption, many, parseCommandArgs, storeDir, withRepository, type Command } from '../command.js';
import { formatBytes } from '../output.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write snapshots to a portable bundle (.tar.zst)',
  usage: `Usage: memsnap export SNAPSHOT... --output FILE [options]

Writes a self-contained, verifiable bundle: the snapshots and every chunk they need, each
once. The same snapshots and options give the same bytes (unless encrypted).

Options:
  -o, --output FILE       where to write; - for stdout (written to a temporary file, renamed when complete)
  --history AGENT         every snapshot of AGENT, oldest first (repeatable)
  --base SNAPSHOT         the receiver already has SNAPSHOT: leave out everything it contains
                          (an incremental bundle; repeatable)
  --level N               zstd level 1-19 (default 3)
  -r, --recipient KEY     encrypt with age to recipient KEY (age1...; repeatable)
  -R, --recipients-file F encrypt to every recipient listed in file F (repeatable)
${PASSPHRASE_USAGE}`,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {
      output: { type: 'string', short: 'o' },
      history: { type: 'string', multiple: true },
      base: { type: 'string', multiple: true },
      level: { type: 'string' },
      recipient: { type: 'string', short: 'r', multiple: true },
      'recipients-file': { type: 'string', short: 'R', multiple: true },
      ...PASSPHRASE_OPTIONS,
    });
    if (!values.output) throw new InvalidArgumentError('export needs --output FILE (or - for stdout)');
    if (values.output === '-' && values.json) throw new InvalidArgumentError('--json needs --output FILE: stdout carries the bundle');
    if (positionals.length === 0 && many(values.history).length === 0) throw new InvalidArgumentError('name at least one snapshot or --history AGENT');
    const level = intOption(values.level, 'level', 1, 19, 3)!;
    const encryption = await encryptionFrom(values, env);
    return withRepository(storeDir(values.store, env), async (repo) => {
      const ids: ContentId[] = [];
      const add = (id: ContentId): void => void (ids.includes(id) || ids.push(id));
      for (const agent of many(values.history)) {
        const all = repo.catalog.list({ agent });
        if (all.length === 0) throw new InvalidArgumentError(`agent ${agent} has no snapshots`);
        for (const s of all.reverse()) add(s.id);
      }
      for (const ref of positionals) add(resolveSnapshot(repo.catalog, ref).id);
      const bases = many(values.base).map((ref) => resolveSnapshot(repo.catalog, ref).id);
      const bar = out.progress('export');
      const result = await writeBundleOutput(values.output!, (sink) =>
        exportBundle(repo, sink, { snapshots: ids, bases, level, ...(encryption ? { encryption } : {}), ...(bar.callback ? { onProgress: bar.callback } : {}) }),
      );
      bar.done();
      const report = { bundle: values.output, ...result };
      if (values.output === '-') {
        out.note(`exported ${ids.length} snapshot(s): ${result.manifest.entries} objects, ${formatBytes(result.bundleBytes)}`);
        return 0;
      }
      out.result(report, () => {
        const m = result.manifest;
        out.line(`wrote ${values.output}: ${m.snapshots.length} snapshot(s), ${m.entries} objects (${formatBytes(m.bytes)}) in ${formatBytes(result.bundleBytes)}${result.encrypted ? ', age-encrypted' : ''}`);
        if (m.bases.length) out.line(`  incremental on ${m.bases.map((b) => b.slice(0, 12)).join(', ')} (${m.external} objects left to the base)`);
      });
      return 0;
    });
  },
};
