import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor } from '../../src/cli/exit-codes.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { runCli, runCliBytes } from './run-cli.js';

const tempDir = useTempDirs('memsnap-cli-');

function makeAgent(root: string): string {
  const dir = path.join(root, 'My Agent!');
  fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'notes', 'a.md'), 'alpha\n');
  fs.writeFileSync(path.join(dir, 'state.bin'), Buffer.from([0, 1, 2, 3, 255]));
  const db = new Database(path.join(dir, 'mem.db'));
  db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, t TEXT); INSERT INTO m (t) VALUES (\'one\'), (\'two\');');
  db.close();
  return dir;
}

describe('memsnap CLI', () => {
  it('runs capture → log → show → diff → cat → restore → stats → verify with --json', () => {
    const root = tempDir();
    const agent = makeAgent(root);
    const env = { MEMSNAP_STORE: path.join(root, 'store') };

    const first = runCli(['capture', agent, '--tag', 'first', '--json', '--no-git'], env);
    expect(first.code, first.stderr).toBe(0);
    const firstId = first.json<{ snapshot: { id: string; agent: string } }>().snapshot.id;
    expect(first.json<{ snapshot: { agent: string } }>().snapshot.agent).toBe('My-Agent-');

    fs.appendFileSync(path.join(agent, 'notes', 'a.md'), 'beta\n');
    const db = new Database(path.join(agent, 'mem.db'));
    db.prepare('INSERT INTO m (t) VALUES (?)').run('three');
    db.close();
    expect(runCli(['capture', agent, '--agent', 'My-Agent-', '-m', 'second', '--no-git'], env).code).toBe(0);

    const log = runCli(['log', 'My-Agent-', '--json'], env).json<{ snapshots: { id: string; seq: number; tags: string[] }[] }>();
    expect(log.snapshots.map((s) => s.seq)).toEqual([2, 1]);
    expect(log.snapshots[1]!.id).toBe(firstId);
    expect(runCli(['log', '--tag', 'first', '--json'], env).json<{ snapshots: unknown[] }>().snapshots).toHaveLength(1);

    const show = runCli(['show', firstId.slice(0, 8)], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(firstId);

    const diff = runCli(['diff', 'My-Agent-~1', 'My-Agent-@latest', '--json'], env).json<{ paths: { path: string; change: string }[]; databases: { path: string; tables: { table: string; added: number }[] }[] }>();
    expect(diff.paths.map((p) => [p.path, p.change])).toEqual([
      ['mem.db', 'modified'],
      ['notes/a.md', 'modified'],
    ]);
    expect(diff.databases[0]!.tables).toEqual([{ table: 'm', added: 1, removed: 0, changed: 0 }]);

    expect(runCliBytes(['cat', 'first', 'state.bin'], env).equals(Buffer.from([0, 1, 2, 3, 255]))).toBe(true);
    expect(runCliBytes(['cat', 'My-Agent-@1', 'notes/a.md'], env).toString()).toBe('alpha\n');

    const target = path.join(root, 'restored');
    const restore = runCli(['restore', 'first', '--target', target], env);
    expect(restore.code, restore.stderr).toBe(0);
    expect(fs.readFileSync(path.join(target, 'notes', 'a.md'), 'utf8')).toBe('alpha\n');
    const rdb = new Database(path.join(target, 'mem.db'), { readonly: true });
    expect(rdb.prepare('SELECT count(*) FROM m').pluck().get()).toBe(2);
    rdb.close();

    const stats = runCli(['stats', '--json'], env).json<{ agents: number; snapshots: number; dedupRatio: number }>();
    expect(stats).toMatchObject({ agents: 1, snapshots: 2 });
    expect(stats.dedupRatio).toBeGreaterThan(0);

    const verify = runCli(['verify', '--json'], env);
    expect(verify.code).toBe(0);
    expect(verify.json<{ ok: boolean }>().ok).toBe(true);
  });

  it('maps errors to the documented exit codes, with clear messages', () => {
    const root = tempDir();
    const notStore = path.join(root, 'nothing');
    fs.mkdirSync(notStore);
    const missing = runCli(['log', '--store', notStore]);
    expect(missing.code).toBe(exitCodeFor('NOT_A_STORE'));
    expect(missing.stderr).toContain('memsnap init');
    expect(fs.readdirSync(notStore)).toEqual([]);

    const store = path.join(root, 'store');
    expect(runCli(['init', '--store', store]).code).toBe(0);
    expect(runCli(['init', '--store', store]).code).toBe(exitCodeFor('STORE_EXISTS'));
    const unknown = runCli(['show', 'nobody@latest', '--store', store, '--json']);
    expect(unknown.code).toBe(4);
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
    expect(runCli(['capture', '--bogus', '--store', store]).code).toBe(2);
    expect(runCli(['frobnicate']).code).toBe(2);
    expect(runCli(['restore', 'x', '--store', store]).code).toBe(2);
  });

  it('documents every exit code in --help', () => {
    const help = runCli(['--help']);
    expect(help.code).toBe(0);
    for (const { exit, meaning } of EXIT_CODES) expect(help.stdout).toContain(`${String(exit).padStart(2)}  ${meaning}`);
    expect(runCli(['capture', '--help']).stdout).toContain('--idempotency-key');
  });

  it('verify exits 10 and names the damaged chunk when a pack is corrupted; repair rebuilds the index', () => {
    const root = tempDir();
    const agent = makeAgent(root);
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    expect(runCli(['capture', agent, '--no-git'], env).code).toBe(0);
    fs.rmSync(path.join(root, 'store', 'index.sqlite'));
    fs.rmSync(path.join(root, 'store', 'index.sqlite-wal'), { force: true });
    fs.rmSync(path.join(root, 'store', 'index.sqlite-shm'), { force: true });
    const repair = runCli(['repair', '--rebuild-index', '--json'], env);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.json<{ index: { chunks: number } }>().index.chunks).toBeGreaterThan(0);
    expect(repair.json<{ catalog: { snapshots: number } }>().catalog.snapshots).toBe(1);
    expect(runCli(['log', '--json'], env).json<{ snapshots: unknown[] }>().snapshots).toHaveLength(1);
    const packsDir = path.join(root, 'store', 'packs');
    const sub = fs.readdirSync(packsDir)[0]!;
    const pack = path.join(packsDir, sub, fs.readdirSync(path.join(packsDir, sub))[0]!);
    const bytes = fs.readFileSync(pack);
    bytes[16 + 48 + 2]! ^= 0xff; // inside the first payload
    fs.writeFileSync(pack, bytes);
    const verify = runCli(['verify'], env);
    expect(verify.code).toBe(10);
    expect(verify.stdout).toContain('DAMAGED chunk');
  });

  it('demo runs the main job end to end', () => {
    const root = tempDir();
    const demo = runCli(['demo', '--dir', path.join(root, 'demo'), '--turns', '2', '--json']);
    expect(demo.code, demo.stderr).toBe(0);
    const out = demo.json<{ snapshots: unknown[]; restored: { rows: number; integrity: string }; verify: { ok: boolean } }>();
    expect(out.snapshots).toHaveLength(3);
    expect(out.restored).toEqual({ rows: 400, integrity: 'ok' });
    expect(out.verify.ok).toBe(true);
  });

  it('validates numbers, answers unknown commands in JSON, refuses cat --json and a used demo directory', () => {
    const root = tempDir();
    const store = path.join(root, 'store');
    expect(runCli(['init', '--store', store, '--zstd-level', 'abc']).code).toBe(2);
    expect(runCli(['init', '--store', store]).code).toBe(0);
    for (const n of ['abc', '0', '-1']) expect(runCli(['log', '--store', store, '-n', n]).code, n).toBe(2);
    const unknown = runCli(['frobnicate', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe('INVALID_ARGUMENT');
    expect(runCli(['--version', '--json']).json<{ version: string }>().version).toMatch(/^\d+\.\d+\.\d+/);
    expect(runCli(['cat', 'x', 'y', '--store', store, '--json']).code).toBe(2);
    fs.mkdirSync(path.join(root, 'used'));
    fs.writeFileSync(path.join(root, 'used', 'keep.txt'), 'mine');
    const demo = runCli(['demo', '--dir', path.join(root, 'used')]);
    expect(demo.code).toBe(2);
    expect(fs.readdirSync(path.join(root, 'used'))).toEqual(['keep.txt']);
  });

  it('reports a state file that cannot be read as SOURCE_UNREADABLE, not a crash', () => {
    const root = tempDir();
    const agent = makeAgent(root);
    const r = runCli(['capture', agent, '--no-git', '--store', path.join(root, 'store'), '--state', `cursor=${root}`]);
    expect(r.code).toBe(exitCodeFor('SOURCE_UNREADABLE'));
    expect(r.stderr).not.toContain('internal error');
  });

  it('exits promptly after large captures (worker pools idle) and quietly when its reader stops early (cat | head)', () => {
    const root = tempDir();
    const agent = makeAgent(root);
    // Far more than a pipe holds, and above the parallel threshold: the worker pools start, and
    // must not keep the CLI process alive afterwards (it used to hang here).
    const big = randomBytes(6 << 20);
    fs.writeFileSync(path.join(agent, 'big.txt'), big);
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    expect(runCli(['capture', agent, '--no-git', '--tag', 'big'], env).code).toBe(0);
    // The CLI exits as soon as a command returns: all of a large output still arrives.
    expect(runCliBytes(['cat', 'big', 'big.txt'], env).equals(big)).toBe(true);
    const main = path.resolve('src/cli/main.ts');
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" --import tsx "${main}" cat big big.txt | head -c 1 > /dev/null`], { env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.status).toBe(0);
  });
});
