import { InvalidArgumentError } from '../../errors/index.js';
import { collectGarbage, forgetAgent, forgetByPolicy, forgetSnapshots, policyFor, type ForgetReport } from '../../gc/index.js';
import { resolveSnapshot } from '../../snapshot/index.js';
import { parseCommandArgs, storeDir, withRepository, type Command } from '../command.js';
import { formatBytes } from '../output.js';
import { KEEP_OPTIONS, KEEP_USAGE, policyFromFlags } from '../retention-flags.js';

export const forgetCommand: Command = {
  name: 'forget',
  summary: 'remove snapshots by policy, by name, or a whole agent',
  usage: `Usage: memsnap forget [SNAPSHOT...] [options]

Removes snapshots from the catalog; \`memsnap gc\` (or --gc) then reclaims the chunks only
they needed. Three ways, one per call:
  memsnap forget SNAPSHOT...          remove these snapshots (never an agent's latest)
  memsnap forget --keep-... [--agent ID]
                                      apply a retention policy to every agent (or one)
  memsnap forget --saved [--agent ID] apply the policies saved with \`memsnap policy set\`
  memsnap forget --delete-agent ID    remove an agent: all snapshots, fields and caches

Options:
${KEEP_USAGE}
  --agent ID              only this agent
  --saved                 use the saved policies
  --delete-agent ID       remove this agent entirely
  -n, --dry-run           show what would be removed, remove nothing
  --gc                    collect garbage afterwards
  --store DIR, --json     see memsnap --help`,
  async run(args, { out, env }) {
    const { values, positionals: refs } = parseCommandArgs(args, {
      ...KEEP_OPTIONS,
      agent: { type: 'string' },
      saved: { type: 'boolean' },
      'delete-agent': { type: 'string' },
      'dry-run': { type: 'boolean', short: 'n' },
      gc: { type: 'boolean' },
    });
    const policy = policyFromFlags(values);
    const modes = [refs.length > 0, policy !== undefined, values.saved === true, values['delete-agent'] !== undefined].filter(Boolean).length;
    if (modes !== 1) throw new InvalidArgumentError('forget wants exactly one of: snapshot names, --keep-* rules, --saved, --delete-agent');
    const dryRun = values['dry-run'] ?? false;
    return withRepository(storeDir(values.store, env), async (repo) => {
      let result: { removed: number; policy?: ForgetReport; agents?: ForgetReport[]; snapshots?: string[]; agent?: string };
      if (refs.length > 0) {
        const ids = refs.map((r) => resolveSnapshot(repo.catalog, r).id);
        result = { removed: dryRun ? 0 : forgetSnapshots(repo, ids), snapshots: ids };
      } else if (values['delete-agent'] !== undefined) {
        const agent = values['delete-agent'];
        result = { removed: dryRun ? repo.catalog.list({ agent }).length : forgetAgent(repo, agent), agent };
      } else if (policy) {
        const report = forgetByPolicy(repo, policy, { ...(values.agent ? { agent: values.agent } : {}), dryRun });
        result = { removed: report.removed, policy: report };
      } else {
        const agents = values.agent ? [values.agent] : repo.catalog.agents();
        const reports = agents.flatMap((agent) => {
          const saved = policyFor(repo, agent);
          return saved ? [forgetByPolicy(repo, saved, { agent, dryRun })] : [];
        });
        if (reports.length === 0) throw new InvalidArgumentError(`no saved policy applies to ${values.agent ? `agent ${values.agent}` : 'any agent'}; save one with memsnap policy set`);
        result = { removed: reports.reduce((n, r) => n + r.removed, 0), agents: reports };
      }
      const gc = values.gc && !dryRun ? await collectGarbage(repo) : undefined;
      out.result({ dryRun, ...result, ...(gc ? { gc } : {}) }, () => {
        for (const report of [result.policy, ...(result.agents ?? [])]) {
          for (const a of report?.agents ?? []) {
            out.line(`${a.agent}: keep ${a.kept.length}, ${dryRun ? 'would remove' : 'remove'} ${a.removed.length}`);
            for (const k of a.kept) out.line(`  keep   ${k.id.slice(0, 12)} ${new Date(k.timeMs).toISOString()} (${k.reasons.join(', ')})`);
            for (const r of a.removed) out.line(`  remove ${r.id.slice(0, 12)} ${new Date(r.timeMs).toISOString()}`);
          }
        }
        if (result.snapshots) out.line(`${dryRun ? 'would remove' : 'removed'} ${result.snapshots.length} snapshot(s)`);
        if (result.agent !== undefined) out.line(`${dryRun ? 'would remove' : 'removed'} agent ${result.agent} (${result.removed} snapshots)`);
        if (gc) out.line(`gc: ${gc.chunks.unreferenced} chunks unreferenced, ${gc.packs.deleted} packs deleted, ${gc.packs.rewritten} rewritten; ${formatBytes(gc.bytes.before)} -> ${formatBytes(gc.bytes.after)}`);
      });
      return 0;
    });
  },
};
