import { InvalidArgumentError } from '../../errors/index.js';
import { SNAPSHOT_KINDS, type SnapshotKind } from '../../snapshot/index.js';
import { intOption, parseCommandArgs, positionals, storeDir, withRepository, type Command } from '../command.js';
import { formatBytes, formatTime } from '../output.js';

/** Parses a time: ISO date/time, or a duration back from now like 30m, 2h, 7d. */
export function parseTime(text: string, now = Date.now()): number {
  const rel = /^(\d+)(s|m|h|d|w)$/.exec(text);
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[rel[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`cannot read time ${JSON.stringify(text)} (ISO time, or 30m/2h/7d ago)`);
  return t;
}

export const logCommand: Command = {
  name: 'log',
  summary: "list an agent's snapshots",
  usage: `Usage: memsnap log [AGENT] [--kind KIND] [--tag TAG] [--since T] [--until T] [-n, --limit N] [--json]

Lists snapshots newest first (all agents when AGENT is omitted). T is an ISO time or an
age such as 30m, 2h, 7d.`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, {
      kind: { type: 'string' },
      tag: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string', short: 'n' },
    });
    const [agent] = positionals(pos, 0, 1, 'at most one agent');
    if (values.kind && !SNAPSHOT_KINDS.includes(values.kind as SnapshotKind)) throw new InvalidArgumentError(`--kind must be one of ${SNAPSHOT_KINDS.join(', ')}`);
    return withRepository(storeDir(values.store, env), async (repo) => {
      const list = repo.catalog.list({
        ...(agent ? { agent } : {}),
        ...(values.kind ? { kind: values.kind as SnapshotKind } : {}),
        ...(values.tag ? { tag: values.tag } : {}),
        ...(values.since ? { sinceMs: parseTime(values.since) } : {}),
        ...(values.until ? { untilMs: parseTime(values.until) } : {}),
        ...(values.limit !== undefined ? { limit: intOption(values.limit, 'limit', 1, 1_000_000) } : {}),
      });
      out.result({ snapshots: list }, () => {
        if (list.length === 0) out.line('no snapshots');
        for (const s of list) {
          const tags = s.tags.length ? ` [${s.tags.join(', ')}]` : '';
          out.line(`${s.id.slice(0, 12)}  ${s.agent}@${s.seq}  ${formatTime(s.timeMs)}  ${s.kind.padEnd(13)} ${formatBytes(s.bytes).padStart(9)}${tags}${s.message ? `  ${s.message}` : ''}`);
        }
      });
      return 0;
    });
  },
};
