import { Repository } from '../../snapshot/index.js';
import { intOption, parseCommandArgs, storeDir, type Command } from '../command.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'create a store',
  usage: `Usage: memsnap init [--store DIR] [--zstd-level N] [--json]

Creates an empty store (0700) at DIR. capture creates the store on first use too.`,
  async run(args, { out, env }) {
    const { values } = parseCommandArgs(args, { 'zstd-level': { type: 'string' } });
    const dir = storeDir(values.store, env);
    const level = intOption(values['zstd-level'], 'zstd-level', 1, 19);
    const repo = await Repository.init(dir, level === undefined ? {} : { compressionLevel: level });
    const config = repo.chunks.config;
    await repo.close();
    out.result({ store: dir, config }, () => out.line(`created store ${dir} (zstd level ${config.compression.level}, chunkers ${config.chunkers.file} / ${config.chunkers.sqlite})`));
    return 0;
  },
};
