/**
 * Retention policies: which snapshots of an agent to keep. Pure: no store access.
 *
 * Rules are unions: a snapshot is kept when any rule keeps it, and the agent's head (its
 * latest snapshot) is always kept. Time buckets are UTC calendar hours, days, ISO weeks and
 * months; a bucket rule keeps the newest snapshot of each of the N most recent buckets that
 * hold a snapshot (as restic does). `keepWithin` counts back from the agent's newest
 * snapshot, not from now, so an idle agent keeps its recent history.
 */
import { InvalidArgumentError } from '../errors/index.js';
import { SNAPSHOT_KINDS, assertTag, type SnapshotInfo, type SnapshotKind } from '../snapshot/index.js';

/** A retention policy; at least one rule must be set. Counts are whole numbers ≥ 1. */
export interface RetentionPolicy {
  /** Keep the N newest snapshots. */
  readonly keepLast?: number;
  /** Keep every snapshot taken within this duration of the newest one (`90m`, `36h`, `7d`, `2w`). */
  readonly keepWithin?: string;
  readonly keepHourly?: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
  /** Keep every snapshot of these kinds. */
  readonly keepKinds?: readonly SnapshotKind[];
  /** Keep every snapshot carrying any of these tags. */
  readonly keepTags?: readonly string[];
}

/** Why a snapshot is kept: a rule name, or `latest` for the head. */
export type KeepReason = 'latest' | 'last' | 'within' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'kind' | 'tag';

/** The decision for one agent's snapshots. */
export interface RetentionDecision {
  readonly keep: readonly { readonly snapshot: SnapshotInfo; readonly reasons: readonly KeepReason[] }[];
  readonly remove: readonly SnapshotInfo[];
}

const COUNT_RULES = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly'] as const;
const ALL_RULES = [...COUNT_RULES, 'keepWithin', 'keepKinds', 'keepTags'] as const;
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Parses a duration such as `90m`, `36h`, `7d` or `2w` into ms. @throws InvalidArgumentError */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([mhdw])$/.exec(text);
  if (!m) throw new InvalidArgumentError(`bad duration ${JSON.stringify(text)} (a whole number and m, h, d or w: 90m, 36h, 7d, 2w)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/**
 * Checks a policy read from a user or a file and returns it typed.
 * @throws InvalidArgumentError naming the bad rule (unknown rule, bad count, no rule at all).
 */
export function parseRetentionPolicy(value: unknown): RetentionPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError('a retention policy must be an object');
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!(ALL_RULES as readonly string[]).includes(key)) throw new InvalidArgumentError(`unknown retention rule ${JSON.stringify(key)} (known: ${ALL_RULES.join(', ')})`);
  }
  for (const key of COUNT_RULES) {
    const n = v[key];
    if (n !== undefined && !(Number.isSafeInteger(n) && (n as number) >= 1)) throw new InvalidArgumentError(`${key} must be a whole number ≥ 1, got ${JSON.stringify(n)}`);
  }
  if (v['keepWithin'] !== undefined) {
    if (typeof v['keepWithin'] !== 'string') throw new InvalidArgumentError('keepWithin must be a duration string such as 7d');
    parseDuration(v['keepWithin']);
  }
  if (v['keepKinds'] !== undefined) {
    const kinds = v['keepKinds'];
    if (!Array.isArray(kinds) || kinds.some((k) => !SNAPSHOT_KINDS.includes(k as SnapshotKind))) {
      throw new InvalidArgumentError(`keepKinds must list snapshot kinds (${SNAPSHOT_KINDS.join(', ')}), got ${JSON.stringify(kinds)}`);
    }
  }
  if (v['keepTags'] !== undefined) {
    const tags = v['keepTags'];
    if (!Array.isArray(tags)) throw new InvalidArgumentError('keepTags must be a list of tags');
    for (const tag of tags) assertTag(tag as string);
  }
  if (!ALL_RULES.some((key) => v[key] !== undefined)) {
    throw new InvalidArgumentError('a retention policy needs at least one rule (keepLast, keepWithin, keepHourly, keepDaily, keepWeekly, keepMonthly, keepKinds, keepTags)');
  }
  return v as RetentionPolicy;
}

/**
 * Applies `policy` to one agent's snapshots (any order). `head` is the agent's head,
 * always kept. Returns keep (newest first, with reasons) and remove (newest first).
 */
export function decideRetention(snapshots: readonly SnapshotInfo[], policy: RetentionPolicy, head: string | null): RetentionDecision {
  const sorted = [...snapshots].sort((a, b) => b.timeMs - a.timeMs || b.seq - a.seq);
  const reasons = new Map<SnapshotInfo, KeepReason[]>(sorted.map((s) => [s, []]));
  const keep = (s: SnapshotInfo, why: KeepReason) => reasons.get(s)!.push(why);

  for (const s of sorted) if (s.id === head) keep(s, 'latest');
  sorted.slice(0, policy.keepLast ?? 0).forEach((s) => keep(s, 'last'));
  if (policy.keepWithin !== undefined && sorted.length > 0) {
    const from = sorted[0]!.timeMs - parseDuration(policy.keepWithin);
    for (const s of sorted) if (s.timeMs >= from) keep(s, 'within');
  }
  const buckets: readonly [KeepReason, number | undefined, (ms: number) => string][] = [
    ['hourly', policy.keepHourly, (ms) => new Date(ms).toISOString().slice(0, 13)],
    ['daily', policy.keepDaily, (ms) => new Date(ms).toISOString().slice(0, 10)],
    ['weekly', policy.keepWeekly, isoWeek],
    ['monthly', policy.keepMonthly, (ms) => new Date(ms).toISOString().slice(0, 7)],
  ];
  for (const [why, count, bucketOf] of buckets) {
    if (!count) continue;
    let left = count;
    let last: string | undefined;
    for (const s of sorted) {
      if (left === 0) break;
      const bucket = bucketOf(s.timeMs);
      if (bucket === last) continue;
      last = bucket;
      keep(s, why);
      left--;
    }
  }
  const kinds = new Set(policy.keepKinds ?? []);
  const tags = new Set(policy.keepTags ?? []);
  for (const s of sorted) {
    if (kinds.has(s.kind)) keep(s, 'kind');
    if (s.tags.some((t) => tags.has(t))) keep(s, 'tag');
  }
  return {
    keep: sorted.filter((s) => reasons.get(s)!.length > 0).map((s) => ({ snapshot: s, reasons: reasons.get(s)! })),
    remove: sorted.filter((s) => reasons.get(s)!.length === 0),
  };
}

/** ISO 8601 week of a UTC time, e.g. `2026-W47`. */
export function isoWeek(ms: number): string {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
  const year = new Date(thursday).getUTCFullYear();
  // The week's Thursday decides its year; weeks count from the one holding that year's first Thursday.
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, '0')}`;
}
