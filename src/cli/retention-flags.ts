/**
 * The `--keep-*` flags shared by `forget` and `policy set`, and their translation into a
 * retention policy (validated by the gc layer, so a bad count names its flag).
 */
import { parseRetentionPolicy, type RetentionPolicy } from '../gc/index.js';
import { intOption, many } from './command.js';

/** parseArgs options for the keep rules. */
export const KEEP_OPTIONS = {
  'keep-last': { type: 'string' },
  'keep-within': { type: 'string' },
  'keep-hourly': { type: 'string' },
  'keep-daily': { type: 'string' },
  'keep-weekly': { type: 'string' },
  'keep-monthly': { type: 'string' },
  'keep-kind': { type: 'string', multiple: true },
  'keep-tag': { type: 'string', multiple: true },
} as const;

/** Usage lines of the keep rules. */
export const KEEP_USAGE = `  --keep-last N           keep the N newest snapshots
  --keep-within DURATION  keep snapshots within DURATION of the newest (90m, 36h, 7d, 2w)
  --keep-hourly N         keep the newest snapshot of each of the last N hours (UTC) that have one
  --keep-daily N          ... days
  --keep-weekly N         ... ISO weeks
  --keep-monthly N        ... months
  --keep-kind KIND        keep every snapshot of KIND (repeatable)
  --keep-tag TAG          keep every snapshot tagged TAG (repeatable)
  An agent's latest snapshot is always kept.`;

type KeepValues = { [K in keyof typeof KEEP_OPTIONS]?: (typeof KEEP_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** The policy the flags describe, or undefined when no keep flag was given. */
export function policyFromFlags(values: KeepValues): RetentionPolicy | undefined {
  const count = (flag: keyof typeof KEEP_OPTIONS) => intOption(values[flag] as string | undefined, flag, 1, 1_000_000);
  const policy = {
    keepLast: count('keep-last'),
    keepWithin: values['keep-within'],
    keepHourly: count('keep-hourly'),
    keepDaily: count('keep-daily'),
    keepWeekly: count('keep-weekly'),
    keepMonthly: count('keep-monthly'),
    keepKinds: values['keep-kind'] && many(values['keep-kind']),
    keepTags: values['keep-tag'] && many(values['keep-tag']),
  };
  const given = Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined));
  return Object.keys(given).length === 0 ? undefined : parseRetentionPolicy(given);
}

/** One line describing a policy, e.g. `keepLast=10 keepDaily=7`. */
export function describePolicy(policy: RetentionPolicy): string {
  return Object.entries(policy)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}
