/**
 * `memsnap export --redact RULES`, end to end: secrets planted in a note, a database column,
 * a row deleted before capture (so only free pages hold it), runtime state, a git commit and
 * a file the rules drop are found nowhere in the decompressed bundle, while the same export
 * without rules does contain them (so the search can fail). The redacted bundle verifies,
 * imports and restores, with the secrets masked and the rest intact, and records its
 * original snapshot and rules hash.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { decompress } from 'zstd-napi';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const tempDir = useTempDirs('memsnap-cli-redact-');
const SECRETS = ['TOKEN-ALPHA-1111', 'TOKEN-BRAVO-2222', 'TOKEN-CHARLIE-3333', 'TOKEN-DELTA-4444', 'TOKEN-ECHO-5555', 'DROPPED-FILE-CONTENT-6666'];

function plantAgent(root: string): { dir: string; stateFile: string } {
  const dir = path.join(root, 'agent');
  fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'notes', 'today.md'), `met the team; key is ${SECRETS[0]} for now\nordinary note text\n`);
  fs.writeFileSync(path.join(dir, 'notes', 'private.key'), `${SECRETS[5]}\n`);
  const db = new Database(path.join(dir, 'memory.db'));
  db.exec(`CREATE TABLE memories (id INTEGER PRIMARY KEY, content TEXT); CREATE TABLE creds (id INTEGER PRIMARY KEY, service TEXT, token TEXT);`);
  db.prepare('INSERT INTO memories (content) VALUES (?)').run('the user likes tea');
  db.prepare('INSERT INTO creds (service, token) VALUES (?, ?)').run('mail', SECRETS[1]);
  // A row deleted before capture: its bytes linger in a free page of the file.
  db.prepare('INSERT INTO memories (content) VALUES (?)').run(`${SECRETS[2]} ${'pad '.repeat(2000)}`);
  db.prepare('DELETE FROM memories WHERE id = 2').run();
  db.close();
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd: dir });
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'old.md'), `${SECRETS[3]}\n`);
  git('add', 'old.md');
  git('commit', '-q', '-m', 'old');
  fs.rmSync(path.join(dir, 'old.md'));
  git('commit', '-q', '-am', 'removed');
  const stateFile = path.join(root, 'cursor.json');
  fs.writeFileSync(stateFile, JSON.stringify({ position: 42, apiKey: SECRETS[4] }));
  return { dir, stateFile };
}

function bundleText(file: string): string {
  return Buffer.from(decompress(fs.readFileSync(file))).toString('latin1');
}

describe('memsnap export --redact', () => {
  it('leaves no secret anywhere in the bundle and keeps everything else', () => {
    const root = tempDir();
    const { dir, stateFile } = plantAgent(root);
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    const cap = runCli(['capture', dir, '--agent', 'ada', '--state', `cursor=${stateFile}`, '--json'], env);
    expect(cap.code, cap.stderr).toBe(0);
    const original = cap.json<{ snapshot: { id: string } }>().snapshot.id;
    const rules = path.join(root, 'rules.json');
    fs.writeFileSync(rules, JSON.stringify({ version: 1, dropPaths: ['**/*.key'], maskPatterns: ['TOKEN-[A-Z]+-\\d+'] }));

    const plain = path.join(root, 'plain.tar.zst');
    expect(runCli(['export', 'ada', '-o', plain], env).code).toBe(0);
    const plainText = bundleText(plain);
    for (const s of SECRETS.filter((x) => x !== SECRETS[3])) expect(plainText, `unredacted bundle holds ${s}`).toContain(s);

    const red = path.join(root, 'redacted.tar.zst');
    const exp = runCli(['export', 'ada', '-o', red, '--redact', rules, '--json'], env);
    expect(exp.code, exp.stderr).toBe(0);
    const report = exp.json<{ manifest: { snapshots: string[] }; redaction: { original: string; id: string; rulesHash: string; gitDropped: string[] }[] }>();
    expect(report.redaction[0]!.original).toBe(original);
    expect(report.redaction[0]!.gitDropped).toEqual(['.git']);
    expect(report.manifest.snapshots).toEqual([report.redaction[0]!.id]);
    const text = bundleText(red);
    for (const s of SECRETS) expect(text.includes(s), `redacted bundle holds ${s}`).toBe(false);
    expect(text).not.toContain('TOKEN-');
    expect(text).toContain('ordinary note text');

    expect(runCli(['bundle', 'verify', red], {}).code).toBe(0);
    const other = { MEMSNAP_STORE: path.join(root, 'other') };
    expect(runCli(['import', red], other).code).toBe(0);
    const show = runCli(['show', 'ada', '--json'], other).json<Record<string, unknown>>();
    expect(JSON.stringify(show)).toContain(original);
    const target = path.join(root, 'restored');
    const restore = runCli(['restore', 'ada', '--target', target], other);
    expect(restore.code, restore.stderr).toBe(0);
    expect(fs.readFileSync(path.join(target, 'notes', 'today.md'), 'utf8')).toBe('met the team; key is [REDACTED] for now\nordinary note text\n');
    expect(fs.existsSync(path.join(target, 'notes', 'private.key'))).toBe(false);
    expect(fs.existsSync(path.join(target, '.git'))).toBe(false);
    const db = new Database(path.join(target, 'memory.db'), { readonly: true });
    expect(db.prepare('SELECT token FROM creds').pluck().get()).toBe('[REDACTED]');
    expect(db.prepare('SELECT content FROM memories').pluck().all()).toEqual(['the user likes tea']);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('refuses --redact with --base, and a bad rules file with the key named', () => {
    const root = tempDir();
    const { dir } = plantAgent(root);
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    expect(runCli(['capture', dir, '--agent', 'ada', '--no-git'], env).code).toBe(0);
    const rules = path.join(root, 'rules.json');
    fs.writeFileSync(rules, JSON.stringify({ version: 1, maskPatterns: ['x'] }));
    const withBase = runCli(['export', 'ada', '-o', path.join(root, 'b'), '--redact', rules, '--base', 'ada'], env);
    expect(withBase.code).toBe(2);
    expect(withBase.stderr).toMatch(/--redact cannot be combined with --base/);
    fs.writeFileSync(rules, JSON.stringify({ version: 1, dropTabels: [] }));
    const bad = runCli(['export', 'ada', '-o', path.join(root, 'b'), '--redact', rules], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/dropTabels/);
    expect(fs.existsSync(path.join(root, 'b'))).toBe(false);
  });
});
