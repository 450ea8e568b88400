import { InvalidArgumentError } from '../../errors/index.js';
import { collectGarbage } from '../../gc/index.js';
import { parseCommandArgs, storeDir, withRepository, type Command } from '../command.js';
import { EXIT_VERIFY_FAILED } from '../exit-codes.js';
import { formatBytes } from '../output.js';

export const gcCommand: Command = {
  name: 'gc',
  summary: 'reclaim chunks no snapshot needs',
  usage: `Usage: memsnap gc [options]

Marks everything the snapshots in the catalog need, then deletes packs nothing needs and
rewrites packs that are mostly garbage. Safe while captures and imports run in other
processes: it waits for writers that started before it (up to --wait-for-writers) and
leaves what they may still need for a later run. A pack holding a damaged live chunk is
left as it is and reported (exit 10, as verify).

Options:
  -n, --dry-run               plan only: report what would go, change nothing
  --repack-threshold F        rewrite packs whose live share is below F (0..1, default 0.5)
  --wait-for-writers SECONDS  how long to wait for older writers (default 60)
  --store DIR, --json         see memsnap --help`,
  async run(args, { out, env }) {
    const { values } = parseCommandArgs(args, {
      'dry-run': { type: 'boolean', short: 'n' },
      'repack-threshold': { type: 'string' },
      'wait-for-writers': { type: 'string' },
    });
    const threshold = values['repack-threshold'] === undefined ? undefined : Number(values['repack-threshold']);
    if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new InvalidArgumentError(`--repack-threshold wants a number from 0 to 1, got ${JSON.stringify(values['repack-threshold'])}`);
    const wait = values['wait-for-writers'] === undefined ? undefined : Number(values['wait-for-writers']);
    if (wait !== undefined && !(wait >= 0)) throw new InvalidArgumentError(`--wait-for-writers wants seconds ≥ 0, got ${JSON.stringify(values['wait-for-writers'])}`);
    return withRepository(storeDir(values.store, env), async (repo) => {
      const bar = out.progress('gc');
      const report = await collectGarbage(repo, {
        dryRun: values['dry-run'] ?? false,
        ...(threshold !== undefined ? { repackThreshold: threshold } : {}),
        ...(wait !== undefined ? { waitForWritersMs: wait * 1000 } : {}),
        ...(bar.callback ? { onProgress: bar.callback } : {}),
      });
      bar.done();
      out.result(report, () => {
        const c = report.chunks;
        const would = report.dryRun ? 'would ' : '';
        out.line(`roots      ${report.roots.snapshots} snapshots of ${report.roots.agents} agents, ${report.roots.writersInFlight} writers in flight`);
        out.line(`chunks     ${c.before} before, ${c.marked} reachable, ${c.unreferenced} unreferenced (${formatBytes(c.unreferencedBytes)})${c.deferred ? `, ${c.deferred} left for a later run (writers still running)` : ''}`);
        out.line(`packs      ${report.packs.before} before: ${would}delete ${report.packs.deleted}, ${would}rewrite ${report.packs.rewritten}${report.dryRun ? '' : ` into ${report.packs.written}; ${report.packs.after} after`}`);
        if (!report.dryRun) out.line(`bytes      ${formatBytes(report.bytes.before)} -> ${formatBytes(report.bytes.after)}`);
        if (report.dryRun) {
          for (const p of report.plan.slice(0, 20)) out.line(`  ${p.action.padEnd(7)} pack ${p.pack.slice(0, 12)} ${formatBytes(p.size)}, ${Math.round((100 * p.liveBytes) / p.size)}% live`);
          if (report.plan.length > 20) out.line(`  ... and ${report.plan.length - 20} more packs (--json lists all)`);
        }
        for (const d of report.damagedPacks) out.line(`DAMAGED pack ${d.pack.slice(0, 12)} left as it is: chunk ${d.chunk.slice(0, 12)} ${d.reason} (run memsnap verify)`);
        if (report.recoveredPacks) out.line(`finished an interrupted collection: ${report.recoveredPacks} packs removed`);
        out.line(`${report.dryRun ? 'dry run' : 'done'} in ${report.durationMs} ms`);
      });
      // Damage found on the way is reported like verify does.
      return report.damagedPacks.length > 0 ? EXIT_VERIFY_FAILED : 0;
    });
  },
};
