/**
 * Runs the README's library example (with paths in a temp directory) so it cannot rot.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentFields, CaptureSession, JsonFileStateProvider, Repository, captureAgent, collectGarbage, diffSnapshots, exportBundle, forgetByPolicy, importBundle, restoreSnapshot } from '../src/index.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-readme-');

describe('README library example', () => {
  it('captures, diffs, restores, forgets, collects and moves a bundle as documented', async () => {
    const root = tempDir();
    const memory = path.join(root, 'srv', 'agent-7', 'memory');
    fs.mkdirSync(memory, { recursive: true });
    fs.writeFileSync(path.join(memory, 'notes.md'), 'first\n');
    const cursor = path.join(root, 'srv', 'agent-7', 'cursor.json');
    fs.writeFileSync(cursor, '{"at": 1}');

    const repo = await Repository.init(path.join(root, 'store'));
    new AgentFields(repo.catalog, 'agent-7').save('persona', 'researcher');
    const state = [new JsonFileStateProvider('cursor', cursor)];
    const session = CaptureSession.start(memory);
    await captureAgent(repo, { dir: memory, agent: 'agent-7', kind: 'automatic', session, stateProviders: state, idempotencyKey: 'turn-41' });
    fs.writeFileSync(path.join(memory, 'notes.md'), 'second\n');
    fs.writeFileSync(cursor, '{"at": 2}');
    const { snapshot } = await captureAgent(repo, { dir: memory, agent: 'agent-7', kind: 'automatic', session, stateProviders: state, idempotencyKey: 'turn-42' });
    session.close();
    const diff = await diffSnapshots(repo, 'agent-7~1', snapshot.id);
    expect(diff.paths).toEqual([{ path: 'notes.md', change: 'modified', kind: 'file', sizeBefore: 6, sizeAfter: 7 }]);
    expect(diff.state).toEqual(['cursor']);
    const before = path.join(root, 'agent-7-before');
    await restoreSnapshot(repo, { snapshot: 'agent-7~1', target: before, stateProviders: state });
    expect(fs.readFileSync(path.join(before, 'notes.md'), 'utf8')).toBe('first\n');
    expect(JSON.parse(fs.readFileSync(cursor, 'utf8'))).toEqual({ at: 1 });

    // Retention, garbage collection and bundles.
    expect(forgetByPolicy(repo, { keepLast: 50, keepDaily: 14 }).removed).toBe(0);
    const gc = await collectGarbage(repo);
    expect(gc.dryRun).toBe(false);
    const bundle = path.join(root, 'agent-7.tar.zst');
    await exportBundle(repo, fs.createWriteStream(bundle), { snapshots: [snapshot.id] });
    const otherRepo = await Repository.init(path.join(root, 'other-store'));
    const imported = await importBundle(otherRepo, fs.createReadStream(bundle));
    expect(imported.snapshots.map((s) => s.id)).toEqual([snapshot.id]);
    expect(otherRepo.catalog.head('agent-7')).toBe(snapshot.id);
    await otherRepo.close();
    await repo.close();
  });
});
