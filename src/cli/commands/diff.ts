import { diffSnapshots } from '../../inspect/index.js';
import { parseCommandArgs, positionals, storeDir, withRepository, type Command } from '../command.js';
import { formatBytes } from '../output.js';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'compare two snapshots',
  usage: `Usage: memsnap diff FROM TO [--no-rows] [--json]

Lists files added (+), removed (-) and modified (~) with sizes; for each changed database,
the tables whose rows changed with counts (skip with --no-rows); and changed state and fields.`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, { 'no-rows': { type: 'boolean' } });
    const [from, to] = positionals(pos, 2, 2, 'two snapshots: FROM TO');
    return withRepository(storeDir(values.store, env), async (repo) => {
      const diff = await diffSnapshots(repo, from!, to!, { rows: !values['no-rows'] });
      out.result(diff, () => {
        out.line(`${diff.from.agent}@${diff.from.seq} ${diff.from.id.slice(0, 12)} -> ${diff.to.agent}@${diff.to.seq} ${diff.to.id.slice(0, 12)}`);
        if (diff.paths.length === 0) out.line('no file changes');
        for (const p of diff.paths) {
          const mark = p.change === 'added' ? '+' : p.change === 'removed' ? '-' : '~';
          const sizes =
            p.change === 'modified' ? `${formatBytes(p.sizeBefore ?? 0)} -> ${formatBytes(p.sizeAfter ?? 0)}` : p.sizeAfter !== undefined ? formatBytes(p.sizeAfter) : p.sizeBefore !== undefined ? formatBytes(p.sizeBefore) : '';
          out.line(`${mark} ${p.path}${p.kind === 'dir' ? '/' : ''}  ${sizes}`);
        }
        for (const db of diff.databases) {
          out.line(`database ${db.path}:`);
          if (db.tables.length === 0) out.line('  no row changes');
          for (const t of db.tables) out.line(`  ${t.table}: +${t.added} -${t.removed} ~${t.changed}`);
        }
        if (diff.state.length) out.line(`state changed: ${diff.state.join(', ')}`);
        if (diff.fields.length) out.line(`fields changed: ${diff.fields.join(', ')}`);
      });
      return 0;
    });
  },
};
