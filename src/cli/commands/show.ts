import { resolveSnapshot } from '../../snapshot/index.js';
import { parseCommandArgs, positionals, storeDir, withRepository, type Command } from '../command.js';
import { formatBytes, formatTime } from '../output.js';

export const showCommand: Command = {
  name: 'show',
  summary: 'show one snapshot',
  usage: `Usage: memsnap show SNAPSHOT [--json]

Prints a snapshot's metadata, git state, totals, top-level entries, state and fields.`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, {});
    const [ref] = positionals(pos, 1, 1, 'one snapshot');
    return withRepository(storeDir(values.store, env), async (repo) => {
      const info = resolveSnapshot(repo.catalog, ref!);
      const snap = await repo.readSnapshot(info.id);
      const top = await repo.readTree(snap.sources.memdir.tree);
      out.result({ snapshot: info, content: snap, top }, () => {
        out.line(`snapshot ${info.id}`);
        out.line(`agent    ${info.agent} (#${info.seq})`);
        out.line(`parent   ${info.parent ?? '(none)'}`);
        out.line(`time     ${formatTime(info.timeMs)}`);
        out.line(`kind     ${info.kind}${info.tags.length ? `  tags: ${info.tags.join(', ')}` : ''}`);
        if (info.message) out.line(`message  ${info.message}`);
        const git = snap.sources.memdir.git;
        if (git) out.line(`git      ${git.branch ?? '(detached)'} ${git.head?.slice(0, 12) ?? '(no commits)'}${git.dirty ? ' dirty' : ' clean'}`);
        const t = snap.totals;
        out.line(`content  ${t.files} files, ${t.dirs} dirs, ${t.symlinks} symlinks, ${t.databases} databases, ${formatBytes(t.bytes)}`);
        for (const e of top) out.line(`  ${e.kind.padEnd(7)} ${e.name}${e.kind === 'dir' ? '/' : ''}${e.content ? `  ${formatBytes(e.content.size)}` : ''}${e.target ? ` -> ${e.target}` : ''}`);
        for (const [name, origin] of Object.entries(snap.sources.databases?.origins ?? {})) out.line(`  sqlite  ${name}  (external, from ${origin})`);
        const state = Object.keys(snap.sources.state);
        const fields = Object.keys(snap.sources.fields);
        if (state.length) out.line(`state    ${state.join(', ')}`);
        if (fields.length) out.line(`fields   ${fields.join(', ')}`);
      });
      return 0;
    });
  },
};
