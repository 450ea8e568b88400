/**
 * What a capture records and what it leaves alone: it never writes into the agent
 * directory, records git state, honours include/exclude globs, never captures its own
 * store, and records runtime state and key/value fields at the cut.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentFields, JsonFileStateProvider, captureAgent, noopStateProvider, type StateProvider } from '../../src/capture/index.js';
import { InvalidArgumentError, NotFoundError } from '../../src/errors/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { Repository, type TreeEntry } from '../../src/snapshot/index.js';
import { createAgentFixture, describeTree, git } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-capture-');
const SIDE = /(-wal|-shm|-journal)$/;

async function paths(repo: Repository, tree: ContentId, prefix = ''): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  for (const e of await repo.readTree(tree)) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    out.set(rel, e);
    if (e.kind === 'dir') for (const [k, v] of await paths(repo, e.tree!, rel)) out.set(k, v);
  }
  return out;
}

async function rootOf(repo: Repository, id: ContentId): Promise<ContentId> {
  return (await repo.readSnapshot(id)).sources.memdir.tree;
}

async function capturedPaths(repo: Repository, id: ContentId): Promise<string[]> {
  return [...(await paths(repo, (await repo.readSnapshot(id)).sources.memdir.tree)).keys()];
}

describe('captureAgent', () => {
  it('changes nothing in the agent directory (git index included)', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 5 });
    // Touch a tracked file without changing it, so git's stat cache is stale and a status would refresh it.
    fs.utimesSync(path.join(fx.dir, 'notes', 'pinned.md'), 1_600_000_000, 1_600_000_000);
    const before = describeTree(fx.dir, { skip: (rel) => SIDE.test(rel) });
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const { snapshot } = await captureAgent(repo, { dir: fx.dir });
      expect(describeTree(fx.dir, { skip: (rel) => SIDE.test(rel) })).toEqual(before);
      expect((await repo.readSnapshot(snapshot.id)).sources.memdir.git?.dirty).toBe(false);
    } finally {
      await repo.close();
    }
  });

  it('changes nothing in the agent directory where no git binary exists either (isomorphic-git fallback)', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 4 });
    fs.utimesSync(path.join(fx.dir, 'notes', 'pinned.md'), 1_600_000_000, 1_600_000_000);
    const before = describeTree(fx.dir, { skip: (rel) => SIDE.test(rel) });
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    const savedPath = process.env['PATH'];
    process.env['PATH'] = path.join(root, 'no-binaries-here');
    try {
      const { snapshot } = await captureAgent(repo, { dir: fx.dir });
      process.env['PATH'] = savedPath;
      expect(describeTree(fx.dir, { skip: (rel) => SIDE.test(rel) })).toEqual(before);
      expect((await repo.readSnapshot(snapshot.id)).sources.memdir.git).toEqual({ head: git(fx.dir, ['rev-parse', 'HEAD']), branch: 'main', dirty: false });
    } finally {
      process.env['PATH'] = savedPath;
      await repo.close();
    }
  });

  it('records git HEAD, branch and dirtiness, and nothing for a plain directory', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 6 });
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const gitOf = async (): Promise<unknown> => (await repo.readSnapshot((await captureAgent(repo, { dir: fx.dir })).snapshot.id)).sources.memdir.git;
      const head = git(fx.dir, ['rev-parse', 'HEAD']);
      expect(await gitOf()).toEqual({ head, branch: 'main', dirty: false });
      fs.appendFileSync(path.join(fx.dir, 'notes', 'pinned.md'), 'uncommitted\n');
      expect(await gitOf()).toEqual({ head, branch: 'main', dirty: true });
      git(fx.dir, ['checkout', '-q', '-b', 'experiment']);
      git(fx.dir, ['commit', '-q', '-am', 'experiment'], 1);
      expect(await gitOf()).toEqual({ head: git(fx.dir, ['rev-parse', 'HEAD']), branch: 'experiment', dirty: false });
      git(fx.dir, ['checkout', '-q', '--detach']);
      expect(await gitOf()).toMatchObject({ branch: null });

      const plain = path.join(root, 'plain');
      fs.mkdirSync(plain);
      fs.writeFileSync(path.join(plain, 'f'), 'x');
      const { snapshot } = await captureAgent(repo, { dir: plain });
      expect((await repo.readSnapshot(snapshot.id)).sources.memdir.git).toBeUndefined();
      const off = await captureAgent(repo, { dir: fx.dir, git: false });
      expect((await repo.readSnapshot(off.snapshot.id)).sources.memdir.git).toBeUndefined();
    } finally {
      await repo.close();
    }
  });

  it('captures only included files and never excluded ones', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 8, git: false });
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const ex = await captureAgent(repo, { dir: fx.dir, agent: 'ex', exclude: ['notes/projects', '*.sqlite', 'latest-note'] });
      const exPaths = await capturedPaths(repo, ex.snapshot.id);
      expect(exPaths.some((p) => p.startsWith('notes/projects'))).toBe(false);
      expect(exPaths).not.toContain('kb/archive.sqlite');
      expect(exPaths).not.toContain('latest-note');
      expect(exPaths).toContain('kb/concepts.db');
      expect(exPaths).toContain('notes/people/0.md');
      expect(exPaths).toContain('scratch/empty');

      const inc = await captureAgent(repo, { dir: fx.dir, agent: 'inc', include: ['notes/**/*.md', '*.db'], exclude: ['pinned.md'] });
      const incPaths = await capturedPaths(repo, inc.snapshot.id);
      const leaves = incPaths.filter((p) => !fs.lstatSync(path.join(fx.dir, p)).isDirectory());
      expect(leaves).toEqual(
        [...describeTree(fx.dir).entries()]
          .filter(([rel, e]) => e.kind === 'file' && ((rel.startsWith('notes/') && rel.endsWith('.md')) || rel.endsWith('.db')) && !rel.endsWith('pinned.md'))
          .map(([rel]) => rel)
          .sort(),
      );
      // With include rules, directories left without a captured file are not recorded.
      expect(incPaths).not.toContain('scratch/empty');
      expect(incPaths).not.toContain('bin');
    } finally {
      await repo.close();
    }
  });

  it('honours include/exclude rules that change between captures of the same agent', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 12, git: false });
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const later = (): number => Date.now() + 60_000; // everything cacheable
      await captureAgent(repo, { dir: fx.dir, now: later });
      const all = await captureAgent(repo, { dir: fx.dir, now: later });
      expect(await capturedPaths(repo, all.snapshot.id)).toContain('notes/people/0.md');
      const ex = await captureAgent(repo, { dir: fx.dir, now: later, exclude: ['notes/people/0.md', 'kb'] });
      const exPaths = await capturedPaths(repo, ex.snapshot.id);
      expect(exPaths).not.toContain('notes/people/0.md');
      expect(exPaths).toContain('notes/people/4.md');
      expect(exPaths.some((p) => p.startsWith('kb'))).toBe(false);
      const inc = await captureAgent(repo, { dir: fx.dir, now: later, include: ['notes/people/*'] });
      expect((await capturedPaths(repo, inc.snapshot.id)).filter((p) => !p.endsWith('.md'))).toEqual(['notes', 'notes/people']);
      const back = await captureAgent(repo, { dir: fx.dir, now: later });
      expect(await rootOf(repo, back.snapshot.id)).toBe(await rootOf(repo, all.snapshot.id));
    } finally {
      await repo.close();
    }
  });

  it('never captures the store when it lives inside the agent directory', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 9, git: false });
    const repo = await Repository.init(path.join(fx.dir, '.memsnap'), { durable: false });
    try {
      const first = await captureAgent(repo, { dir: fx.dir });
      const second = await captureAgent(repo, { dir: fx.dir });
      for (const s of [first, second]) expect((await capturedPaths(repo, s.snapshot.id)).filter((p) => p.startsWith('.memsnap'))).toEqual([]);

      // Also when the directory is named through a symlink.
      const alias = path.join(root, 'alias');
      fs.symlinkSync(fx.dir, alias);
      const viaLink = await captureAgent(repo, { dir: alias, agent: 'agent' });
      expect((await capturedPaths(repo, viaLink.snapshot.id)).filter((p) => p.startsWith('.memsnap'))).toEqual([]);

      await expect(captureAgent(repo, { dir: path.join(fx.dir, '.memsnap') })).rejects.toThrow(InvalidArgumentError);
    } finally {
      await repo.close();
    }
  });

  it('records runtime state and key/value fields at the cut', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 10, git: false });
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const fields = new AgentFields(repo.catalog, 'agent');
      fields.save('cursor', 17);
      fields.save('profile', { name: 'Scout', tags: ['a', 'b'] });
      expect(fields.exists('cursor')).toBe(true);
      expect(fields.delete('nope')).toBe(false);
      expect(() => fields.load('nope')).toThrow(NotFoundError);
      const counting: StateProvider = { name: 'calls', capture: () => ({ n: 1 }), restore: () => undefined };
      const empty: StateProvider = { name: 'empty', capture: () => undefined, restore: () => undefined };
      const missing = new JsonFileStateProvider('missing', path.join(root, 'state', 'missing.json'));
      const providers = [new JsonFileStateProvider('cursor', fx.stateFiles.cursor), counting, empty, missing, noopStateProvider];
      const { snapshot } = await captureAgent(repo, { dir: fx.dir, stateProviders: providers });
      const sources = (await repo.readSnapshot(snapshot.id)).sources;
      expect(sources.state).toEqual({ cursor: JSON.parse(fs.readFileSync(fx.stateFiles.cursor, 'utf8')), calls: { n: 1 } });
      expect(sources.fields).toEqual({ cursor: 17, profile: { name: 'Scout', tags: ['a', 'b'] } });

      fields.save('cursor', 18);
      const next = await captureAgent(repo, { dir: fx.dir, stateProviders: providers });
      expect(next.snapshot.sourcesDigest).not.toBe(snapshot.sourcesDigest);
      expect((await repo.readSnapshot(next.snapshot.id)).sources.fields['cursor']).toBe(18);

      await expect(captureAgent(repo, { dir: fx.dir, stateProviders: [counting, counting] })).rejects.toThrow(InvalidArgumentError);
      fs.writeFileSync(fx.stateFiles.cursor, '{not json');
      await expect(captureAgent(repo, { dir: fx.dir, stateProviders: providers })).rejects.toThrow(InvalidArgumentError);
      expect(repo.catalog.head('agent')).toBe(next.snapshot.id);
    } finally {
      await repo.close();
    }
  });

  it('refuses bad arguments before doing any work', async () => {
    const root = tempDir();
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      await expect(captureAgent(repo, { dir: path.join(root, 'missing') })).rejects.toThrow(InvalidArgumentError);
      fs.writeFileSync(path.join(root, 'file'), 'x');
      await expect(captureAgent(repo, { dir: path.join(root, 'file') })).rejects.toThrow(InvalidArgumentError);
      fs.mkdirSync(path.join(root, 'ok'));
      await expect(captureAgent(repo, { dir: path.join(root, 'ok'), agent: '../evil' })).rejects.toThrow(InvalidArgumentError);
      await expect(captureAgent(repo, { dir: path.join(root, 'ok'), tags: ['bad tag'] })).rejects.toThrow(InvalidArgumentError);
      expect(repo.catalog.agents()).toEqual([]);
    } finally {
      await repo.close();
    }
  });
});
