/**
 * Retention policies saved in the store (table `retention_policies` of the index database):
 * one for every agent (scope `*`) and optional per-agent ones that replace it. The CLI
 * applies the saved policy to an agent after each of its captures.
 */
import type { Repository } from '../snapshot/index.js';
import { forgetByPolicy, type ForgetReport } from './forget.js';
import { parseRetentionPolicy, type RetentionPolicy } from './retention-policy.js';

/** Scope of the policy that applies to agents without their own. */
export const ALL_AGENTS = '*';

const SCHEMA = `CREATE TABLE IF NOT EXISTS retention_policies (scope TEXT PRIMARY KEY, policy TEXT NOT NULL, updated_ms INTEGER NOT NULL)`;

/** Saves `policy` (validated) for `agent`, or for every agent. */
export function savePolicy(repo: Repository, policy: RetentionPolicy, agent: string = ALL_AGENTS): void {
  const checked = parseRetentionPolicy(policy);
  const db = repo.chunks.index.database;
  db.exec(SCHEMA);
  db.prepare(`INSERT INTO retention_policies (scope, policy, updated_ms) VALUES (?, ?, ?) ON CONFLICT(scope) DO UPDATE SET policy = excluded.policy, updated_ms = excluded.updated_ms`).run(
    agent,
    JSON.stringify(checked),
    Date.now(),
  );
}

/** Removes the saved policy of `agent` (or the all-agents one); returns whether one existed. */
export function clearPolicy(repo: Repository, agent: string = ALL_AGENTS): boolean {
  const db = repo.chunks.index.database;
  db.exec(SCHEMA);
  return db.prepare(`DELETE FROM retention_policies WHERE scope = ?`).run(agent).changes > 0;
}

/** Every saved policy, by scope. */
export function savedPolicies(repo: Repository): Record<string, RetentionPolicy> {
  const db = repo.chunks.index.database;
  db.exec(SCHEMA);
  const rows = db.prepare(`SELECT scope, policy FROM retention_policies ORDER BY scope`).all() as { scope: string; policy: string }[];
  return Object.fromEntries(rows.map((r) => [r.scope, parseRetentionPolicy(JSON.parse(r.policy))]));
}

/** The policy that applies to `agent`: its own, else the all-agents one, else undefined. */
export function policyFor(repo: Repository, agent: string): RetentionPolicy | undefined {
  const saved = savedPolicies(repo);
  return saved[agent] ?? saved[ALL_AGENTS];
}

/** Applies the saved policy to `agent`; undefined when no policy applies. */
export function applySavedPolicy(repo: Repository, agent: string): ForgetReport | undefined {
  const policy = policyFor(repo, agent);
  return policy && forgetByPolicy(repo, policy, { agent });
}
