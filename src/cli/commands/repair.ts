import { repairLocalIndex } from '../../cas/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { parseCommandArgs, positionals, storeDir, type Command } from '../command.js';

export const repairCommand: Command = {
  name: 'repair',
  summary: 'rebuild the index from the packs',
  usage: `Usage: memsnap repair --rebuild-index [--json]

Rebuilds the chunk index from the packs alone. A damaged index file is kept aside as
index.sqlite.damaged-<time>. Chunks in damaged packs that fail their hash are left out.`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, { 'rebuild-index': { type: 'boolean' } });
    positionals(pos, 0, 0, 'no arguments');
    if (!values['rebuild-index']) throw new InvalidArgumentError('say what to repair: --rebuild-index');
    const report = await repairLocalIndex(storeDir(values.store, env));
    out.result(report, () => {
      out.line(`index rebuilt: ${report.packs} packs, ${report.chunks} chunks${report.droppedChunks ? `, ${report.droppedChunks} damaged chunks left out` : ''}`);
      if (report.movedAside) out.line(`the damaged index was kept as ${report.movedAside}`);
    });
    return 0;
  },
};
