/** The rows the peer bench records (all written to `--json`). Times in ms, sizes in bytes. */
import type { PeerRestoreCheck } from './restore-verify.js';
import type { LedgerCheck } from './ledger.js';

/** One snapshot of the turn session. */
export interface SnapshotRecord {
  readonly repeat: number;
  readonly tool: string;
  readonly phase: 'initial' | 'turn' | 'no-change';
  /** 0 for the initial snapshot, the turn number, or N + k for the k-th no-change snapshot. */
  readonly step: number;
  /** Where the tool ran in this step's order (0 = first). */
  readonly position: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssKiB: number;
  /** The tool's store size right after this snapshot. */
  readonly storeBytes: number;
  /** Store growth caused by this snapshot. */
  readonly growth: number;
  /** Apparent size of the directory snapshotted (database side files included). */
  readonly logicalBytes: number;
  /** Bytes the turn really changed, after zstd -3 (turns only). */
  readonly changedZstd?: number;
  readonly warnings: string[];
}

/** One full restore of a tool's latest snapshot, and its check. */
export interface RestoreRecord {
  readonly repeat: number;
  readonly tool: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssKiB: number;
  readonly check: PeerRestoreCheck;
}

/** One agent of the fleet, snapshotted by one tool into that tool's fleet store. */
export interface FleetRecord {
  readonly agent: number;
  readonly tool: string;
  readonly wallMs: number;
  readonly storeBytes: number;
  readonly logicalBytes: number;
}

/** One snapshot taken while the ledger writer was committing, restored and checked. */
export interface ConcurrentRecord {
  readonly tool: string;
  readonly wallMs: number;
  readonly warnings: string[];
  readonly check: LedgerCheck;
}
