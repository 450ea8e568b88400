/**
 * `memsnap export --redact RULES`: the snapshots are first rewritten under the rules into a
 * private scratch store (a temporary directory, mode 0700, removed afterwards), and the
 * bundle is exported from there. The scratch store receives only what the redacted
 * snapshots need, so nothing the rules removed can reach the bundle, not even as an
 * unreferenced chunk. Snapshots of one agent are chained oldest first, so a redacted
 * history stays a history.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import { parseRedactionRules, redactSnapshot, type RedactionReport } from '../export/index.js';
import type { ContentId } from '../hash/index.js';
import { Repository } from '../snapshot/index.js';

/** What the redaction step hands to the export. */
export interface RedactedSnapshots {
  /** The scratch repository holding the redacted snapshots; export from it. */
  readonly repo: Repository;
  /** Redacted ids, in the order of the originals. */
  readonly ids: ContentId[];
  readonly reports: RedactionReport[];
  /** Closes and deletes the scratch store. */
  dispose(): Promise<void>;
}

/** Reads the rules file and redacts `ids` (oldest first per agent) of `source` into a scratch store. */
export async function redactForExport(source: Repository, ids: readonly ContentId[], rulesFile: string): Promise<RedactedSnapshots> {
  let text: string;
  try {
    text = fs.readFileSync(rulesFile, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read redaction rules ${rulesFile}: ${(err as Error).message}`);
  }
  const rules = parseRedactionRules(text);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsnap-redact-'));
  const scratch = await Repository.init(path.join(dir, 'store'), { durable: false });
  const dispose = async (): Promise<void> => {
    await scratch.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ordered = ids.map((id) => ({ id, info: source.catalog.get(id) }));
    const lastOf = new Map<string, ContentId>();
    const redacted = new Map<ContentId, RedactionReport>();
    // Oldest first, so each agent's redacted snapshots chain in capture order.
    for (const { id, info } of [...ordered].sort((a, b) => (a.info?.timeMs ?? 0) - (b.info?.timeMs ?? 0))) {
      const agent = info?.agent ?? (await source.readSnapshot(id)).agent;
      const report = await redactSnapshot(source, id, rules, scratch, { parent: lastOf.get(agent) ?? null });
      lastOf.set(agent, report.id);
      redacted.set(id, report);
    }
    const reports = ids.map((id) => redacted.get(id)!);
    return { repo: scratch, ids: reports.map((r) => r.id), reports, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
