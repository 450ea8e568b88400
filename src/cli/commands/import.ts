import { importBundle } from '../../export/index.js';
import { decryptionFrom, PASSPHRASE_OPTIONS, PASSPHRASE_USAGE } from '../bundle-keys.js';
import { openBundleInput } from '../bundle-files.js';
import { parseCommandArgs, positionals, storeDir, withRepository, type Command } from '../command.js';
import { formatBytes } from '../output.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'add the snapshots of a bundle to the store',
  usage: `Usage: memsnap import FILE [options]     (FILE - reads stdin)

Verifies every object of the bundle against its hash and every snapshot against its id
while storing what the store does not have yet. Only a complete bundle becomes visible:
snapshots and heads are recorded in one transaction at the end. An agent's head is set
when the agent is new here or the bundle extends its history (fast-forward); a local head
that is newer or has diverged is kept and reported. An agent new to this store also gets
the key/value fields its head recorded. An incremental bundle needs its base snapshot in
the store first. Creates the store on first use.

Options:
  -i, --identity FILE     age identity file for an encrypted bundle (repeatable)
${PASSPHRASE_USAGE}`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, { identity: { type: 'string', short: 'i', multiple: true }, ...PASSPHRASE_OPTIONS });
    const [file] = positionals(pos, 1, 1, 'one bundle file (or -)');
    const decryption = await decryptionFrom(values, env);
    return withRepository(
      storeDir(values.store, env),
      async (repo) => {
        const bar = out.progress('import');
        const result = await importBundle(repo, openBundleInput(file!), { decryption, ...(bar.callback ? { onProgress: bar.callback } : {}) });
        bar.done();
        out.result(result, () => {
          out.line(`imported ${result.snapshots.length} snapshot(s): ${result.chunksStored} objects stored (${formatBytes(result.bytesStored)}), ${result.chunksDeduplicated} already here`);
          for (const s of result.snapshots) out.line(`  ${s.agent}@${s.seq} ${s.id.slice(0, 12)}`);
          for (const r of result.refs) {
            const what = { created: 'head set', 'fast-forward': 'head moved forward', unchanged: 'head unchanged', diverged: 'histories diverged: local head kept' }[r.action];
            out.line(`  ${r.agent}: ${what} (${r.head.slice(0, 12)}${r.action === 'diverged' ? `; imported head ${r.bundleHead.slice(0, 12)}` : ''})${r.fieldsRestored ? ', fields set from it' : ''}`);
          }
        });
        return 0;
      },
      true,
    );
  },
};
