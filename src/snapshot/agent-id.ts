/**
 * Agent ids: path-safe names that key an agent's history in a store.
 * Derived from a directory name when not given: characters outside `[A-Za-z0-9._-]`
 * become `-`, and names over 64 characters are shortened to 55 characters plus `-` and
 * 8 hex characters of the full name's hash, so distinct long names stay distinct.
 */
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import { hashContent } from '../hash/index.js';

const AGENT_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

/** Throws InvalidArgumentError unless `id` is a valid agent id. */
export function assertAgentId(id: string): void {
  if (!AGENT_ID.test(id)) throw new InvalidArgumentError(`bad agent id ${JSON.stringify(id)} (1-64 of A-Z a-z 0-9 . _ -, not starting with . or -)`);
}

/** A valid agent id derived from a directory path's last segment. */
export function agentIdFromPath(dir: string): string {
  const base = path.basename(path.resolve(dir)) || 'agent';
  let id = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '');
  if (id === '') id = 'agent';
  if (id.length > 64) id = `${id.slice(0, 55)}-${hashContent(Buffer.from(base)).slice(0, 8)}`;
  return id;
}
