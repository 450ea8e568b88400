/**
 * The fleet: `agents` copies of one base agent, each diverged by `turns` turns of its own
 * (a different mutator seed per agent), all snapshotted into one store per tool, one
 * agent at a time (the copy is deleted after its snapshots, to bound disk use). What
 * matters is the store size after all agents and the marginal bytes of each one after
 * the first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareAgent } from '../workload/agent-generator.js';
import { TurnMutator } from '../workload/turn-mutator.js';
import type { FleetRecord } from './records.js';
import { rotate, type SnapshotTool } from './snapshot-tool.js';
import { treeBytes } from './timed-process.js';

/** Options of {@link runFleet}. */
export interface FleetOptions {
  readonly tools: SnapshotTool[];
  /** A new directory for the agents and stores (created). */
  readonly work: string;
  readonly seed: number;
  readonly scale: number;
  readonly agents: number;
  /** Turns each agent diverges by. */
  readonly turns: number;
  readonly log: (line: string) => void;
}

/** Snapshots the fleet; one record per agent and tool. */
export async function runFleet(o: FleetOptions): Promise<FleetRecord[]> {
  fs.mkdirSync(o.work, { recursive: true });
  for (const tool of o.tools) tool.init(path.join(o.work, `store-${tool.name}`));
  const out: FleetRecord[] = [];
  for (let i = 0; i < o.agents; i++) {
    const { layout } = await prepareAgent(path.join(o.work, `agent-${i}`), { seed: o.seed, scale: o.scale });
    // Its own seed: different notes, rows and edits from every other agent of the fleet.
    const mutator = TurnMutator.open(layout, { seed: o.seed * 1000 + i + 1 });
    try {
      for (let t = 0; t < o.turns; t++) await mutator.turn();
    } finally {
      mutator.close();
    }
    const logicalBytes = treeBytes(layout.memdir);
    for (const tool of rotate(o.tools, i)) {
      const s = tool.snapshot(layout.memdir, `agent-${i}`);
      out.push({ agent: i, tool: tool.name, wallMs: s.run.wallMs, storeBytes: tool.storeBytes(), logicalBytes });
    }
    o.log(`fleet agent ${i}: ${out.slice(-o.tools.length).map((r) => `${r.tool} ${(r.storeBytes / 1e6).toFixed(1)} MB`).join(', ')}`);
    fs.rmSync(layout.root, { recursive: true, force: true });
  }
  return out;
}
