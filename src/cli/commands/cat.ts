import { InvalidArgumentError } from '../../errors/index.js';
import { catFile } from '../../inspect/index.js';
import { parseCommandArgs, positionals, storeDir, withRepository, type Command } from '../command.js';

export const catCommand: Command = {
  name: 'cat',
  summary: 'print one file of a snapshot',
  usage: `Usage: memsnap cat SNAPSHOT PATH

Writes the exact bytes of PATH (a file or database image) in SNAPSHOT to stdout
(raw bytes: --json does not apply).`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, {});
    const [ref, file] = positionals(pos, 2, 2, 'SNAPSHOT PATH');
    if (values.json) throw new InvalidArgumentError('cat writes the file\'s raw bytes; --json does not apply');
    return withRepository(storeDir(values.store, env), async (repo) => {
      for await (const bytes of catFile(repo, ref!, file!)) await out.raw(bytes);
      return 0;
    });
  },
};
