/**
 * Ids this process has seen indexed, kept across writers of one open store so that a
 * process capturing turn after turn does not look up the same unchanged list nodes and
 * chunks in SQLite every time.
 *
 * Valid for one collection epoch only: a condemnation advances the epoch, and a writer that
 * starts under another epoch than the cache's clears it first (writer-leases.ts). Within a
 * writer's life a condemnation is covered by its lease: what it relied on is rescued at its
 * commit. Bounded: cleared when it reaches `PRESENCE_CACHE_MAX_IDS`.
 */
import type { ContentId } from '../hash/index.js';

/** Most ids held before the cache starts over (~100 MB of strings at the cap). */
export const PRESENCE_CACHE_MAX_IDS = 1 << 20;

/** Indexed ids seen under one collection epoch. */
export class PresenceCache {
  private epoch = -1;
  private readonly ids = new Set<ContentId>();

  /** Starts a writer under `epoch`: a different epoch than the cache's empties it. */
  begin(epoch: number): void {
    if (epoch !== this.epoch) {
      this.ids.clear();
      this.epoch = epoch;
    }
  }

  has(id: ContentId): boolean {
    return this.ids.has(id);
  }

  /** Remembers ids that are indexed now. */
  add(ids: Iterable<ContentId>): void {
    for (const id of ids) {
      if (this.ids.size >= PRESENCE_CACHE_MAX_IDS) this.ids.clear();
      this.ids.add(id);
    }
  }
}
