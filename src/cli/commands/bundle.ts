import { CorruptBundleError, InvalidArgumentError } from '../../errors/index.js';
import { verifyBundle } from '../../export/index.js';
import { decryptionFrom, PASSPHRASE_OPTIONS, PASSPHRASE_USAGE } from '../bundle-keys.js';
import { openBundleInput } from '../bundle-files.js';
import { parseCommandArgs, positionals, type Command } from '../command.js';
import { EXIT_VERIFY_FAILED } from '../exit-codes.js';
import { formatBytes, formatTime } from '../output.js';

export const bundleCommand: Command = {
  name: 'bundle',
  summary: 'work with bundle files without a store (verify)',
  usage: `Usage: memsnap bundle verify FILE [options]     (FILE - reads stdin)

Checks a bundle without any store: every object against its hash, every snapshot complete
(or left to the base an incremental bundle names), sizes and counts as the manifest says.
Exits 10 when the bundle is damaged or hostile, naming the first problem.

Options:
  -i, --identity FILE     age identity file for an encrypted bundle (repeatable)
${PASSPHRASE_USAGE}`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, { identity: { type: 'string', short: 'i', multiple: true }, ...PASSPHRASE_OPTIONS });
    const [sub, file] = positionals(pos, 2, 2, 'bundle verify FILE');
    if (sub !== 'verify') throw new InvalidArgumentError(`unknown bundle command ${JSON.stringify(sub)}; try memsnap bundle verify FILE`);
    const decryption = await decryptionFrom(values, env);
    const bar = out.progress('verify');
    try {
      const r = await verifyBundle(openBundleInput(file!), { decryption, ...(bar.callback ? { onProgress: bar.callback } : {}) });
      bar.done();
      out.result(r, () => {
        out.line(`bundle ${file}: ${r.snapshots.length} snapshot(s), ${r.entries} objects, ${formatBytes(r.bytes)}${r.encrypted ? ', age-encrypted' : ''}`);
        for (const s of r.snapshots) out.line(`  ${s.id.slice(0, 12)} ${s.agent} ${formatTime(s.timeMs)} ${s.kind}${s.tags.length ? ` [${s.tags.join(', ')}]` : ''}`);
        if (r.manifest.bases.length) out.line(`  incremental: needs base ${r.manifest.bases.map((b) => b.slice(0, 12)).join(', ')} (${r.external} objects)`);
        out.line('ok');
      });
      return 0;
    } catch (err) {
      bar.done();
      if (!(err instanceof CorruptBundleError)) throw err;
      out.result({ ok: false, error: err.toJSON() }, () => out.line(`DAMAGED: ${err.message}`));
      return EXIT_VERIFY_FAILED;
    }
  },
};
