/**
 * Naming snapshots: a full id or unique id prefix (at least 4 hex characters), `agent`
 * or `agent@latest` (the head), `agent@N` (the agent's N-th snapshot, as `log` numbers
 * them), `agent~N` (N snapshots before the head), or a tag
 * (the newest snapshot carrying it; `agent@tag` restricts to one agent).
 */
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { Catalog, SnapshotInfo } from './catalog.js';

/** Resolves a snapshot name. @throws NotFoundError, InvalidArgumentError (ambiguous prefix). */
export function resolveSnapshot(catalog: Catalog, ref: string): SnapshotInfo {
  const tilde = /^(.+)~(\d+)$/.exec(ref);
  if (tilde) {
    const head = resolveSnapshot(catalog, tilde[1]!);
    const target = head.seq - Number(tilde[2]);
    const found = target >= 1 ? catalog.bySeq(head.agent, target) : undefined;
    if (!found) throw new NotFoundError('snapshot', ref, { reason: `agent ${head.agent} has ${head.seq} snapshots` });
    return found;
  }
  const at = /^([^@]+)@(.+)$/.exec(ref);
  if (at) {
    const [, agent, what] = at as unknown as [string, string, string];
    if (what === 'latest' || what === 'head') return headOf(catalog, agent, ref);
    if (/^\d+$/.test(what)) {
      const numbered = catalog.bySeq(agent, Number(what));
      if (!numbered) throw new NotFoundError('snapshot', ref);
      return numbered;
    }
    const tagged = catalog.list({ agent, tag: what, limit: 1 })[0];
    if (!tagged) throw new NotFoundError('snapshot', ref);
    return tagged;
  }
  if (/^[0-9a-f]{4,64}$/.test(ref)) {
    const matches = catalog.byPrefix(ref);
    if (matches.length > 1) throw new InvalidArgumentError(`snapshot prefix ${ref} is ambiguous; give more characters`);
    if (matches.length === 1) return matches[0]!;
  }
  if (catalog.head(ref)) return headOf(catalog, ref, ref);
  const tagged = catalog.list({ tag: ref, limit: 1 })[0];
  if (tagged) return tagged;
  throw new NotFoundError('snapshot', `${ref} (name one by id prefix, agent, agent@latest, agent@N, agent~N or tag)`, { ref });
}

function headOf(catalog: Catalog, agent: string, ref: string): SnapshotInfo {
  const head = catalog.head(agent);
  const info = head && catalog.get(head);
  if (!info) throw new NotFoundError('snapshot', ref, { reason: `agent ${agent} has no snapshots` });
  return info;
}
