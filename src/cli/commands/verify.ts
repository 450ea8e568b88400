import { verifyStore } from '../../cas/index.js';
import { verifySnapshots } from '../../inspect/index.js';
import { resolveSnapshot } from '../../snapshot/index.js';
import { parseCommandArgs, positionals, storeDir, withRepository, type Command } from '../command.js';
import { EXIT_VERIFY_FAILED } from '../exit-codes.js';
import { formatBytes } from '../output.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check chunks',
  usage: `Usage: memsnap verify [SNAPSHOT] [--json]

Without SNAPSHOT: reads every pack, checks every chunk against its hash, then checks that
every snapshot is complete. With SNAPSHOT: checks every chunk that snapshot needs.
Exits 10 when anything is damaged, naming the chunks and the snapshots and files they affect.`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, {});
    const [ref] = positionals(pos, 0, 1, 'at most one snapshot');
    return withRepository(storeDir(values.store, env), async (repo) => {
      const bar = out.progress('verify');
      const packs = ref ? undefined : await verifyStore(repo.chunks, bar.callback ? { onProgress: bar.callback } : {});
      const snapshots = await verifySnapshots(repo, ref ? [resolveSnapshot(repo.catalog, ref)] : undefined, bar.callback);
      bar.done();
      const ok = snapshots.ok && (packs?.ok ?? true);
      out.result({ ok, packs, snapshots }, () => {
        if (packs) out.line(`packs      ${packs.packsChecked} read (${formatBytes(packs.bytesChecked)}), ${packs.chunksChecked} chunks checked`);
        out.line(`snapshots  ${snapshots.snapshots} checked, ${snapshots.chunksChecked} distinct chunks`);
        for (const d of packs?.damaged ?? []) out.line(`DAMAGED chunk ${d.id.slice(0, 12)} in pack ${d.pack.slice(0, 12)} at ${d.offset}: ${d.reason}`);
        for (const p of packs?.packProblems ?? []) out.line(`DAMAGED pack ${p.pack.slice(0, 12)}: ${p.reason}`);
        for (const d of snapshots.damage) out.line(`AFFECTS snapshot ${d.snapshot.slice(0, 12)} ${d.path}: chunk ${d.chunk.slice(0, 12)} ${d.reason}`);
        out.line(ok ? 'ok' : 'damage found');
      });
      return ok ? 0 : EXIT_VERIFY_FAILED;
    });
  },
};
