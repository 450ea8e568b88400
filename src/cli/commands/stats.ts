import { summarizeStore } from '../../inspect/index.js';
import { parseCommandArgs, positionals, storeDir, withRepository, type Command } from '../command.js';
import { formatBytes } from '../output.js';

export const statsCommand: Command = {
  name: 'stats',
  summary: 'store totals',
  usage: `Usage: memsnap stats [--json]

Agents, snapshots, logical bytes (what the snapshots describe), stored bytes (packs on
disk), dedup ratio, chunks and packs.`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, {});
    positionals(pos, 0, 0, 'no arguments');
    const dir = storeDir(values.store, env);
    return withRepository(dir, async (repo) => {
      const s = summarizeStore(repo);
      out.result({ store: dir, ...s }, () => {
        out.line(`store      ${dir}`);
        out.line(`agents     ${s.agents}`);
        out.line(`snapshots  ${s.snapshots}`);
        out.line(`logical    ${formatBytes(s.logicalBytes)}`);
        out.line(`stored     ${formatBytes(s.storedBytes)} in ${s.packs} packs (${formatBytes(s.uniqueBytes)} unique before compression)`);
        out.line(`dedup      ${s.dedupRatio.toFixed(1)}x`);
        out.line(`chunks     ${s.chunks}`);
      });
      return 0;
    });
  },
};
