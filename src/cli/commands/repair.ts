import { repairLocalIndex } from '../../cas/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { Repository, rebuildCatalog } from '../../snapshot/index.js';
import { parseCommandArgs, positionals, storeDir, type Command } from '../command.js';

export const repairCommand: Command = {
  name: 'repair',
  summary: 'rebuild the index and the snapshot catalog from the packs',
  usage: `Usage: memsnap repair --rebuild-index [--json]

Rebuilds the chunk index from the packs alone (a damaged index file is kept aside as
index.sqlite.damaged-<time>; chunks in damaged packs that fail their hash are left out),
then the snapshot catalog from the snapshot roots in the packs: every snapshot, each agent's
head, and the fields recorded in the head when none are left. Not recoverable: idempotency
keys, field changes made after the last capture, and capture caches (the next capture reads
everything). Snapshots whose commit failed after their objects were written (a lost race)
may reappear in the history.`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, { 'rebuild-index': { type: 'boolean' } });
    positionals(pos, 0, 0, 'no arguments');
    if (!values['rebuild-index']) throw new InvalidArgumentError('say what to repair: --rebuild-index');
    const dir = storeDir(values.store, env);
    const index = await repairLocalIndex(dir);
    const repo = await Repository.open(dir);
    let catalog;
    try {
      catalog = await rebuildCatalog(repo);
    } finally {
      await repo.close();
    }
    out.result({ index, catalog }, () => {
      out.line(`index rebuilt: ${index.packs} packs, ${index.chunks} chunks${index.droppedChunks ? `, ${index.droppedChunks} damaged chunks left out` : ''}`);
      if (index.movedAside) out.line(`the damaged index was kept as ${index.movedAside}`);
      out.line(`catalog rebuilt: ${catalog.snapshots} snapshots of ${catalog.agents} agents${catalog.fieldsRestored.length ? `; fields taken from the head snapshot for ${catalog.fieldsRestored.join(', ')}` : ''}`);
      if (catalog.unreadable.length) out.line(`${catalog.unreadable.length} snapshot roots could not be read and were left out`);
    });
    return 0;
  },
};
