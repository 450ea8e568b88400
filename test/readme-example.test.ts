/**
 * Runs the README's library example (with paths in a temp directory) so it cannot rot.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentFields, JsonFileStateProvider, Repository, captureAgent, diffSnapshots, restoreSnapshot } from '../src/index.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-readme-');

describe('README library example', () => {
  it('captures, diffs and restores as documented', async () => {
    const root = tempDir();
    const memory = path.join(root, 'srv', 'agent-7', 'memory');
    fs.mkdirSync(memory, { recursive: true });
    fs.writeFileSync(path.join(memory, 'notes.md'), 'first\n');
    const cursor = path.join(root, 'srv', 'agent-7', 'cursor.json');
    fs.writeFileSync(cursor, '{"at": 1}');

    const repo = await Repository.init(path.join(root, 'store'));
    new AgentFields(repo.catalog, 'agent-7').save('persona', 'researcher');
    const state = [new JsonFileStateProvider('cursor', cursor)];
    await captureAgent(repo, { dir: memory, agent: 'agent-7', kind: 'automatic', stateProviders: state, idempotencyKey: 'turn-41' });
    fs.writeFileSync(path.join(memory, 'notes.md'), 'second\n');
    fs.writeFileSync(cursor, '{"at": 2}');
    const { snapshot } = await captureAgent(repo, { dir: memory, agent: 'agent-7', kind: 'automatic', stateProviders: state, idempotencyKey: 'turn-42' });
    const diff = await diffSnapshots(repo, 'agent-7~1', snapshot.id);
    expect(diff.paths).toEqual([{ path: 'notes.md', change: 'modified', kind: 'file', sizeBefore: 6, sizeAfter: 7 }]);
    expect(diff.state).toEqual(['cursor']);
    const before = path.join(root, 'agent-7-before');
    await restoreSnapshot(repo, { snapshot: 'agent-7~1', target: before, stateProviders: state });
    expect(fs.readFileSync(path.join(before, 'notes.md'), 'utf8')).toBe('first\n');
    expect(JSON.parse(fs.readFileSync(cursor, 'utf8'))).toEqual({ at: 1 });
    await repo.close();
  });
});
