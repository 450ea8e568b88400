import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AgentFields, JsonFileStateProvider, captureAgent } from '../../capture/index.js';
import { diffSnapshots, summarizeStore, verifySnapshots } from '../../inspect/index.js';
import { restoreSnapshot } from '../../restore/index.js';
import { Repository } from '../../snapshot/index.js';
import { intOption, parseCommandArgs, positionals, type Command } from '../command.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { createDemoAgent, demoTurn } from '../demo-agent.js';
import { formatBytes } from '../output.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'a guided tour on a sample agent',
  usage: `Usage: memsnap demo [--dir DIR] [--turns N] [--json]

Builds a sample agent (git notes, a SQLite memory database, a state file) in DIR (default:
a new temporary directory), creates a store there, captures the agent, runs N turns
(default 3) capturing after each, then shows the log, a diff, store stats, a restore that
is checked byte for byte, and a verify. Everything stays in DIR for you to explore.`,
  async run(args, { out }) {
    const { values, positionals: pos } = parseCommandArgs(args, { dir: { type: 'string' }, turns: { type: 'string' } });
    positionals(pos, 0, 0, 'no arguments');
    const turns = intOption(values.turns, 'turns', 1, 1000, 3)!;
    if (values.dir && fs.existsSync(values.dir) && fs.readdirSync(values.dir).length > 0) {
      throw new InvalidArgumentError(`demo directory ${values.dir} is not empty; give a new or empty one`);
    }
    const base = path.resolve(values.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'memsnap-demo-')));
    const agentDir = path.join(base, 'agent');
    const stateFile = path.join(base, 'agent-state.json');
    const storeDir = path.join(base, 'store');
    out.line(`memsnap demo in ${base}`);
    await createDemoAgent(agentDir, stateFile);
    const repo = await Repository.init(storeDir);
    try {
      const providers = [new JsonFileStateProvider('runtime', stateFile)];
      const fields = new AgentFields(repo.catalog, 'agent');
      fields.save('persona', 'helpful researcher');
      const captures = [];
      const first = await captureAgent(repo, { dir: agentDir, stateProviders: providers, tags: ['start'], message: 'initial state' });
      captures.push(first);
      out.line(`\n$ memsnap capture ${agentDir}`);
      out.line(`captured agent@1 ${first.snapshot.id.slice(0, 12)} in ${first.stats.durationMs.toFixed(0)} ms: ${formatBytes(first.snapshot.bytes)} of files and databases, ${formatBytes(first.stats.bytesStored)} stored`);
      for (let turn = 1; turn <= turns; turn++) {
        await demoTurn(agentDir, stateFile, turn);
        fields.save('turns', turn);
        const r = await captureAgent(repo, { dir: agentDir, stateProviders: providers, kind: 'automatic', message: `after turn ${turn}` });
        captures.push(r);
        out.line(`turn ${turn}: captured agent@${r.snapshot.seq} ${r.snapshot.id.slice(0, 12)} in ${r.stats.durationMs.toFixed(0)} ms, ${r.stats.filesRead} files + ${r.stats.databasesRead} database read, ${formatBytes(r.stats.bytesStored)} new in store`);
      }
      out.line('\n$ memsnap log agent');
      for (const s of repo.catalog.list({ agent: 'agent' })) out.line(`${s.id.slice(0, 12)}  agent@${s.seq}  ${s.kind.padEnd(10)} ${formatBytes(s.bytes).padStart(9)}  ${s.message}`);
      const diff = await diffSnapshots(repo, 'agent~1', 'agent@latest');
      out.line('\n$ memsnap diff agent~1 agent@latest');
      for (const p of diff.paths) out.line(`${p.change === 'added' ? '+' : p.change === 'removed' ? '-' : '~'} ${p.path}`);
      for (const db of diff.databases) for (const t of db.tables) out.line(`  ${db.path} ${t.table}: +${t.added} -${t.removed} ~${t.changed}`);
      if (diff.state.length) out.line(`state changed: ${diff.state.join(', ')}`);
      if (diff.fields.length) out.line(`fields changed: ${diff.fields.join(', ')}`);
      const stats = summarizeStore(repo);
      out.line('\n$ memsnap stats');
      out.line(`${stats.snapshots} snapshots describing ${formatBytes(stats.logicalBytes)} stored in ${formatBytes(stats.storedBytes)} (dedup ${stats.dedupRatio.toFixed(1)}x)`);
      const target = path.join(base, 'restored');
      const restored = await restoreSnapshot(repo, { snapshot: 'agent@1', target });
      const db = new Database(path.join(target, 'memory.db'), { readonly: true });
      const rows = db.prepare('SELECT count(*) FROM memories').pluck().get() as number;
      const integrity = db.pragma('integrity_check', { simple: true });
      db.close();
      out.line(`\n$ memsnap restore agent@1 --target ${target}`);
      out.line(`restored ${restored.stats.files} files and ${restored.stats.databases} database; memory.db has ${rows} memories (as at the start), integrity_check: ${String(integrity)}`);
      const verify = await verifySnapshots(repo);
      out.line('\n$ memsnap verify');
      out.line(`${verify.snapshots} snapshots, ${verify.chunksChecked} chunks checked: ${verify.ok ? 'ok' : 'DAMAGE FOUND'}`);
      out.line(`\nTry: memsnap log --store ${storeDir}`);
      out.result({ dir: base, store: storeDir, snapshots: captures.map((c) => ({ id: c.snapshot.id, stats: c.stats })), diff, stats, restored: { rows, integrity }, verify: { ok: verify.ok } }, () => undefined);
      return verify.ok && integrity === 'ok' ? 0 : 10;
    } finally {
      await repo.close();
    }
  },
};
