/**
 * Forgetting snapshots: applying a retention policy per agent, deleting chosen snapshots,
 * or deleting a whole agent. Forgetting only removes catalog rows (one transaction); the
 * chunks they alone needed are reclaimed by the next garbage collection.
 */
import { NotFoundError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import type { Repository, SnapshotInfo } from '../snapshot/index.js';
import { decideRetention, type KeepReason, type RetentionPolicy } from './retention-policy.js';

/** Options of {@link forgetByPolicy}. */
export interface ForgetOptions {
  /** Only this agent; default every agent (each judged on its own snapshots). */
  readonly agent?: string;
  /** Decide and report, remove nothing. Default false. */
  readonly dryRun?: boolean;
}

/** The decision and outcome for one agent. */
export interface AgentForgetReport {
  readonly agent: string;
  readonly kept: readonly { readonly id: ContentId; readonly timeMs: number; readonly reasons: readonly KeepReason[] }[];
  readonly removed: readonly { readonly id: ContentId; readonly timeMs: number }[];
}

/** What {@link forgetByPolicy} decided and did. */
export interface ForgetReport {
  readonly dryRun: boolean;
  readonly agents: readonly AgentForgetReport[];
  /** Snapshots removed (0 for a dry run). */
  readonly removed: number;
}

/**
 * Applies `policy` to every agent (or one), keeping each agent's head whatever the policy
 * says, and removes the rest from the catalog.
 * @throws NotFoundError for an unknown agent.
 */
export function forgetByPolicy(repo: Repository, policy: RetentionPolicy, options: ForgetOptions = {}): ForgetReport {
  const agents = options.agent !== undefined ? [options.agent] : repo.catalog.agents();
  if (options.agent !== undefined && repo.catalog.head(options.agent) === null) {
    throw new NotFoundError('agent', options.agent);
  }
  const reports: AgentForgetReport[] = [];
  const doomed: ContentId[] = [];
  for (const agent of agents) {
    const decision = decideRetention(repo.catalog.list({ agent }), policy, repo.catalog.head(agent));
    reports.push({
      agent,
      kept: decision.keep.map((k) => ({ id: k.snapshot.id, timeMs: k.snapshot.timeMs, reasons: k.reasons })),
      removed: decision.remove.map((s: SnapshotInfo) => ({ id: s.id, timeMs: s.timeMs })),
    });
    doomed.push(...decision.remove.map((s) => s.id));
  }
  const removed = options.dryRun ? 0 : repo.catalog.removeSnapshots(doomed);
  return { dryRun: options.dryRun ?? false, agents: reports, removed };
}

/**
 * Removes the named snapshots from the catalog, all or none.
 * @throws NotFoundError for an id the catalog does not have; ConflictError for an
 *   agent's head (remove the agent instead).
 */
export function forgetSnapshots(repo: Repository, ids: readonly ContentId[]): number {
  for (const id of ids) {
    if (!repo.catalog.get(id)) throw new NotFoundError('snapshot', id);
  }
  return repo.catalog.removeSnapshots(ids);
}

/** Removes an agent with all its snapshots, fields and caches. Returns the snapshot count. */
export function forgetAgent(repo: Repository, agent: string): number {
  return repo.catalog.removeAgent(agent);
}
