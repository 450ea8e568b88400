/**
 * Retention decisions on synthetic histories: each rule keeps what it says and nothing
 * more, rules combine as a union, the head is always kept, and bad policies are refused
 * with the rule named.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { decideRetention, isoWeek, parseDuration, parseRetentionPolicy, type RetentionPolicy } from '../../src/gc/index.js';
import type { SnapshotInfo, SnapshotKind } from '../../src/snapshot/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-01T00:30:00Z');

/** A snapshot every `stepMs` for `n` steps, oldest first; ids are `s<i>`. */
function history(n: number, stepMs: number, extra: (i: number) => Partial<SnapshotInfo> = () => ({})): SnapshotInfo[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i}` as ContentId,
    agent: 'a',
    parent: i === 0 ? null : (`s${i - 1}` as ContentId),
    seq: i + 1,
    timeMs: T0 + i * stepMs,
    kind: 'automatic' as SnapshotKind,
    tags: [],
    message: '',
    bytes: 0,
    sourcesDigest: '',
    idempotencyKey: null,
    ...extra(i),
  }));
}

function kept(snaps: SnapshotInfo[], policy: RetentionPolicy, head: string | null = snaps.at(-1)!.id): string[] {
  return decideRetention(snaps, policy, head).keep.map((k) => k.snapshot.id);
}

describe('decideRetention', () => {
  const hourly = history(72, HOUR); // three days, one per hour

  it('keepLast keeps the N newest', () => {
    expect(kept(hourly, { keepLast: 3 })).toEqual(['s71', 's70', 's69']);
  });

  it('keepWithin counts back from the newest snapshot, not from now', () => {
    expect(kept(hourly, { keepWithin: '5h' })).toEqual(['s71', 's70', 's69', 's68', 's67', 's66']);
  });

  it('keepDaily keeps the newest of each of the N most recent days', () => {
    // T0 is 00:30 on day 1: s0..s23 on 03-01, s24..s47 on 03-02, s48..s71 on 03-03.
    expect(kept(hourly, { keepDaily: 2 })).toEqual(['s71', 's47']);
    expect(kept(hourly, { keepDaily: 10 })).toEqual(['s71', 's47', 's23']);
  });

  it('keepHourly, keepWeekly and keepMonthly bucket by UTC hour, ISO week and month', () => {
    const twice = history(10, HOUR / 2); // two per hour
    // From 00:30 every half hour: s9 alone at 05:00, then s8 (04:30) newest of hour 04, s6 of hour 03.
    expect(kept(twice, { keepHourly: 3 })).toEqual(['s9', 's8', 's6']);
    const daily = history(70, DAY); // 2026-03-01 (a Sunday) .. 2026-05-09
    const weekly = kept(daily, { keepWeekly: 3 });
    expect(weekly.map((id) => isoWeek(daily.find((s) => s.id === id)!.timeMs))).toEqual(['2026-W19', '2026-W18', '2026-W17']);
    expect(kept(daily, { keepMonthly: 2 })).toEqual(['s69', 's60']); // May 9 and April 30
  });

  it('keeps kinds and tags on request, and always the head', () => {
    const snaps = history(10, HOUR, (i) => ({ kind: i === 2 ? 'manual' : 'automatic', tags: i === 5 ? ['release'] : [] }));
    expect(kept(snaps, { keepKinds: ['manual'] }, 's9')).toEqual(['s9', 's2']);
    expect(kept(snaps, { keepTags: ['release'] }, 's9')).toEqual(['s9', 's5']);
    // The head is kept even when it is not the newest by time.
    expect(kept(snaps, { keepLast: 1 }, 's4')).toEqual(['s9', 's4']);
  });

  it('combines rules as a union and lists every reason', () => {
    const d = decideRetention(hourly, { keepLast: 2, keepDaily: 2 }, 's71');
    expect(d.keep.map((k) => [k.snapshot.id, k.reasons])).toEqual([
      ['s71', ['latest', 'last', 'daily']],
      ['s70', ['last']],
      ['s47', ['daily']],
    ]);
    expect(d.remove).toHaveLength(69);
  });
});

describe('parseRetentionPolicy', () => {
  it('accepts every rule', () => {
    const p = { keepLast: 1, keepWithin: '7d', keepHourly: 1, keepDaily: 1, keepWeekly: 1, keepMonthly: 1, keepKinds: ['manual'], keepTags: ['x'] };
    expect(parseRetentionPolicy(p)).toEqual(p);
  });

  it.each([
    [{}, /at least one rule/],
    [{ keepLast: 0 }, /keepLast must be a whole number/],
    [{ keepDaily: 1.5 }, /keepDaily/],
    [{ keepEverything: true }, /unknown retention rule "keepEverything"/],
    [{ keepWithin: '7 days' }, /bad duration "7 days"/],
    [{ keepKinds: ['weekly'] }, /keepKinds must list snapshot kinds/],
    [{ keepTags: ['-bad'] }, /bad tag/],
    [[], /must be an object/],
  ])('refuses %j', (policy, message) => {
    expect(() => parseRetentionPolicy(policy)).toThrow(InvalidArgumentError);
    expect(() => parseRetentionPolicy(policy)).toThrow(message);
  });

  it('parses durations', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('2w')).toBe(14 * DAY);
  });
});

describe('isoWeek', () => {
  it.each([
    ['2026-01-01', '2026-W01'],
    ['2025-12-29', '2026-W01'],
    ['2024-12-30', '2025-W01'],
    ['2021-01-03', '2020-W53'],
    ['2021-01-04', '2021-W01'],
    ['2020-12-31', '2020-W53'],
    ['2026-11-22', '2026-W47'],
  ])('%s is in %s', (day, week) => {
    expect(isoWeek(Date.parse(`${day}T12:00:00Z`))).toBe(week);
  });
});
