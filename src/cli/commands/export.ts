import { InvalidArgumentError } from '../../errors/index.js';
import { exportBundle } from '../../export/index.js';
import type { ContentId } from '../../hash/index.js';
import { resolveSnapshot } from '../../snapshot/index.js';
import { encryptionFrom, PASSPHRASE_OPTIONS, PASSPHRASE_USAGE } from '../bundle-keys.js';
import { writeBundleOutput } from '../bundle-files.js';
import { redactForExport } from '../redacted-export.js';
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
  --redact RULES          rewrite the snapshots under the redaction rules file RULES first
                          (docs/FORMAT.md, "Redaction rules"); the bundle holds only the
                          redacted snapshots, each recording its original id and the rules hash
  -r, --recipient KEY     encrypt with age to recipient KEY (age1...; repeatable)
  -R, --recipients-file F encrypt to every recipient listed in file F (repeatable)
${PASSPHRASE_USAGE}`,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {
      output: { type: 'string', short: 'o' },
      history: { type: 'string', multiple: true },
      base: { type: 'string', multiple: true },
      level: { type: 'string' },
      redact: { type: 'string' },
      recipient: { type: 'string', short: 'r', multiple: true },
      'recipients-file': { type: 'string', short: 'R', multiple: true },
      ...PASSPHRASE_OPTIONS,
    });
    if (!values.output) throw new InvalidArgumentError('export needs --output FILE (or - for stdout)');
    if (values.output === '-' && values.json) throw new InvalidArgumentError('--json needs --output FILE: stdout carries the bundle');
    if (positionals.length === 0 && many(values.history).length === 0) throw new InvalidArgumentError('name at least one snapshot or --history AGENT');
    const level = intOption(values.level, 'level', 1, 19, 3)!;
    if (values.redact !== undefined && many(values.base).length > 0) {
      throw new InvalidArgumentError('--redact cannot be combined with --base: a redacted snapshot shares nothing with an unredacted base');
    }
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
      const redacted = values.redact !== undefined ? await redactForExport(repo, ids, values.redact) : undefined;
      let result: Awaited<ReturnType<typeof exportBundle>>;
      try {
        for (const w of redacted?.reports.flatMap((r) => r.warnings) ?? []) out.note(`warning: ${w}`);
        const bar = out.progress('export');
        result = await writeBundleOutput(values.output!, (sink) =>
          exportBundle(redacted?.repo ?? repo, sink, {
            snapshots: redacted?.ids ?? ids,
            bases,
            level,
            ...(encryption ? { encryption } : {}),
            ...(bar.callback ? { onProgress: bar.callback } : {}),
          }),
        );
        bar.done();
      } finally {
        await redacted?.dispose();
      }
      const report = { bundle: values.output, ...result, ...(redacted ? { redaction: redacted.reports } : {}) };
      if (values.output === '-') {
        out.note(`exported ${ids.length} snapshot(s): ${result.manifest.entries} objects, ${formatBytes(result.bundleBytes)}`);
        return 0;
      }
      out.result(report, () => {
        const m = result.manifest;
        out.line(`wrote ${values.output}: ${m.snapshots.length} snapshot(s), ${m.entries} objects (${formatBytes(m.bytes)}) in ${formatBytes(result.bundleBytes)}${result.encrypted ? ', age-encrypted' : ''}`);
        for (const r of redacted?.reports ?? []) out.line(`  redacted ${r.original.slice(0, 12)} -> ${r.id.slice(0, 12)}: ${r.matchesMasked} matches masked, ${r.filesDropped} files dropped${r.gitDropped.length > 0 ? ', .git dropped' : ''}`);
        if (m.bases.length) out.line(`  incremental on ${m.bases.map((b) => b.slice(0, 12)).join(', ')} (${m.external} objects left to the base)`);
      });
      return 0;
    });
  },
};
