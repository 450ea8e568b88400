/**
 * Synthetic store for the GC scale benchmark: `agents` agents, `snapshots` snapshots in
 * all, at least `chunks` small data chunks (64-256 bytes of deterministic text, each
 * unique), written straight through the library (no agent directory, no chunker).
 *
 * Each agent's tree: four directories of eight files each (every file a chunk list of `k`
 * chunks) and `logs/` (an append-only log, rotated every {@link LOG_ROTATE_CHUNKS} chunks;
 * rotated logs stay forever). Each snapshot after an agent's first rewrites one file
 * (Zipf-skewed choice: a few hot files change often, cold ones rarely) with new chunks and
 * appends to the log, so it adds about `k` new chunks and shares everything else with its
 * parent through unchanged subtrees and list nodes. Forgetting old snapshots therefore
 * turns the replaced versions of files into garbage, while the log and cold files stay.
 *
 * Snapshots are taken in rounds (every agent once per round, one simulated hour apart).
 * A writer is flushed after every `snapshotsPerPack` snapshots (one pack per batch of
 * captures, so pack size does not depend on the store's size) before those snapshots are
 * committed with `confirmReferences` in the commit transaction, as a capture does; a new
 * writer is made after `snapshotsPerWriter` snapshots.
 */
import type { ContentId } from '../../src/hash/index.js';
import type { ChunkWriter } from '../../src/cas/index.js';
import { sourcesDigest, writeContent, writeSnapshot, writeTree, type ChunkRef, type ContentRef, type Repository, type SnapshotSources, type TreeEntry } from '../../src/snapshot/index.js';
import { Rng, vocabulary } from '../data.js';

/** Chunks of the current log before it is rotated. */
export const LOG_ROTATE_CHUNKS = 512;
const DIRS = ['cache', 'memory', 'notes', 'skills'] as const;
const FILES_PER_DIR = 8;
const FILES = DIRS.length * FILES_PER_DIR;
/** Start of simulated time: 2026-01-01T00:00:00Z. */
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** What to generate. */
export interface GenerateParams {
  /** Data chunks to write at least (objects come on top). */
  readonly chunks: number;
  readonly snapshots: number;
  readonly agents: number;
  readonly seed: number;
  /** Snapshots written before a flush and their commits (one pack each). Default 20. */
  readonly snapshotsPerPack?: number;
  /** Snapshots one writer serves (it is closed and a new one made after, at a flush). */
  readonly snapshotsPerWriter: number;
}

/** What was generated. */
export interface GenerateResult {
  readonly dataChunks: number;
  readonly snapshots: number;
  readonly agents: number;
  /** New data chunks per snapshot after an agent's first (`k`). */
  readonly chunksPerSnapshot: number;
  readonly writers: number;
  readonly rounds: number;
  readonly generationMs: number;
  readonly commitMs: number;
}

interface FileState {
  content: ContentRef;
  mtimeNs: string;
}

interface AgentState {
  readonly name: string;
  readonly dirs: Map<string, FileState>[];
  readonly dirTrees: ContentId[];
  readonly rotated: Map<string, FileState>;
  log: ChunkRef[];
  logNo: number;
  logsTree: ContentId | undefined;
  head: ContentId | null;
  step: number;
}

/** Deterministic unique text chunks. */
class ChunkMaker {
  private readonly rng: Rng;
  private readonly words: string[];
  count = 0;
  constructor(seed: number) {
    this.rng = new Rng(seed);
    this.words = vocabulary(2000, seed + 1);
  }
  /** 64-256 bytes: a unique header, then words. */
  make(header: string): Buffer {
    const length = 64 + this.rng.below(193);
    let s = `${header}|`;
    while (s.length < length) s += `${this.words[this.rng.zipf(this.words.length)]}${this.rng.below(12) === 0 ? '.\n' : ' '}`;
    this.count++;
    return Buffer.from(s.slice(0, length), 'latin1');
  }
}

/** Generates the store's content into `repo` (a new, empty repository). */
export async function generateStore(repo: Repository, p: GenerateParams, log: (line: string) => void = () => {}): Promise<GenerateResult> {
  const started = performance.now();
  const perAgent = Math.ceil(p.snapshots / p.agents);
  const rounds = perAgent;
  // data chunks = agents × FILES × k (first snapshots) + (snapshots - agents) × k
  const k = Math.max(FILES_PER_DIR, Math.ceil(p.chunks / (p.agents * FILES + p.snapshots - p.agents)));
  const appended = Math.max(1, Math.round(k / 10));
  const rewritten = k - appended;
  const maker = new ChunkMaker(p.seed);
  const pick = new Rng(p.seed + 2);
  const agents: AgentState[] = Array.from({ length: p.agents }, (_, i) => ({
    name: `agent-${String(i).padStart(3, '0')}`,
    dirs: DIRS.map(() => new Map<string, FileState>()),
    dirTrees: [],
    rotated: new Map(),
    log: [],
    logNo: 0,
    logsTree: undefined,
    head: null,
    step: 0,
  }));
  const perPack = p.snapshotsPerPack ?? 20;
  let written = 0;
  let committed = 0;
  let commitMs = 0;
  let writers = 0;
  let sinceWriter = 0;
  let lastLog = 0;
  let writer: ChunkWriter | undefined;
  type Pending = { agent: AgentState; id: ContentId; parent: ContentId | null; timeMs: number; bytes: number; digest: ContentId };
  let pending: Pending[] = [];
  /** Flushes the writer (one pack), then commits what it holds, as captures do. */
  const commitPending = async (): Promise<void> => {
    const w = writer!;
    await w.flush();
    const c = performance.now();
    for (const s of pending) {
      repo.catalog.commit(
        { id: s.id, agent: s.agent.name, parent: s.parent, expectedParent: s.parent, timeMs: s.timeMs, kind: 'automatic', tags: [], message: '', bytes: s.bytes, sourcesDigest: s.digest, idempotencyKey: null },
        () => void w.confirmReferences(),
      );
    }
    commitMs += performance.now() - c;
    committed += pending.length;
    pending = [];
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [ai, agent] of agents.entries()) {
        if (written >= p.snapshots) break;
        writer ??= (writers++, repo.chunks.createWriter());
        const w = writer;
        const timeMs = T0 + round * HOUR + ai * 60_000;
        const mtimeNs = `${timeMs}000000`;
        const put = async (file: string, n: number): Promise<ChunkRef[]> => {
          const refs: ChunkRef[] = [];
          for (let i = 0; i < n; i++) {
            const data = maker.make(`${agent.name}:${agent.step}:${file}:${i}`);
            refs.push([(await w.put(data)).id, data.length]);
          }
          return refs;
        };
        // Files: all of them in an agent's first snapshot, then one (Zipf-skewed) per snapshot.
        const changed = agent.step === 0 ? Array.from({ length: FILES }, (_, f) => f) : [pick.zipf(FILES)];
        for (const f of changed) {
          const d = Math.floor(f / FILES_PER_DIR);
          const name = `${DIRS[d]}-${f % FILES_PER_DIR}.md`;
          const content = await writeContent(w, await put(`${DIRS[d]}/${name}`, agent.step === 0 ? k : rewritten));
          agent.dirs[d]!.set(name, { content, mtimeNs });
        }
        for (const d of new Set(changed.map((f) => Math.floor(f / FILES_PER_DIR)))) {
          agent.dirTrees[d] = await writeTree(w, fileEntries(agent.dirs[d]!));
        }
        // The log: append, rotate when long.
        agent.log.push(...(await put(`logs/${agent.logNo}`, appended)));
        const current = { content: await writeContent(w, agent.log), mtimeNs };
        const logName = (n: number) => `log-${String(n).padStart(5, '0')}.md`;
        agent.logsTree = await writeTree(w, fileEntries(new Map([...agent.rotated, [logName(agent.logNo), current]])));
        if (agent.log.length >= LOG_ROTATE_CHUNKS) {
          agent.rotated.set(logName(agent.logNo), current);
          agent.logNo++;
          agent.log = [];
        }
        const root = await writeTree(w, [
          ...DIRS.map((name, d): TreeEntry => ({ name, kind: 'dir', mode: 0o755, mtimeNs, tree: agent.dirTrees[d]! })),
          { name: 'logs', kind: 'dir', mode: 0o755, mtimeNs, tree: agent.logsTree },
        ]);
        const files = [...agent.dirs.flatMap((m) => [...m.values()]), ...agent.rotated.values(), current];
        const bytes = files.reduce((sum, f) => sum + f.content.size, 0);
        const sources: SnapshotSources = { memdir: { tree: root }, state: {}, fields: {} };
        const parent = agent.head;
        const totals = { files: files.length, dirs: DIRS.length + 1, symlinks: 0, databases: 0, bytes };
        const id = await writeSnapshot(w, { agent: agent.name, parent, timeMs, kind: 'automatic', tags: [], message: '', sources, totals });
        pending.push({ agent, id, parent, timeMs, bytes, digest: sourcesDigest(sources) });
        agent.head = id;
        agent.step++;
        written++;
        sinceWriter++;
        if (pending.length >= perPack || written === p.snapshots) await commitPending();
        if (pending.length === 0 && (sinceWriter >= p.snapshotsPerWriter || written === p.snapshots)) {
          await writer.close();
          writer = undefined;
          sinceWriter = 0;
        }
        if (written - lastLog >= 500 || written === p.snapshots) {
          lastLog = written;
          log(`generated ${written.toLocaleString('en-US')} snapshots, ${maker.count.toLocaleString('en-US')} data chunks, ${((performance.now() - started) / 1000).toFixed(1)} s`);
        }
      }
    }
  } finally {
    writer?.release();
  }
  return {
    dataChunks: maker.count,
    snapshots: committed,
    agents: p.agents,
    chunksPerSnapshot: k,
    writers,
    rounds,
    generationMs: Math.round(performance.now() - started),
    commitMs: Math.round(commitMs),
  };
}

function fileEntries(files: ReadonlyMap<string, FileState>): TreeEntry[] {
  return [...files].map(([name, f]) => ({ name, kind: 'file', mode: 0o644, mtimeNs: f.mtimeNs, content: f.content }));
}
