/**
 * Interoperability with the real `age` command (Debian's package; .ci/run installs it):
 * bundles memsnap encrypts open with `age -d`, files `age` encrypts are bundles memsnap
 * reads, for X25519 recipients, recipients files and passphrases (typed on a terminal via
 * `script`, both for `age -p` and for `memsnap --passphrase`). Without `age` these tests
 * are skipped on a workstation and fail under CI.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { createAgentFixture } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const tempDir = useTempDirs('memsnap-age-cli-');
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');
const HAVE_AGE = spawnSync('age', ['--version']).status === 0 && spawnSync('age-keygen', ['--help']).error === undefined;
const HAVE_SCRIPT = spawnSync('script', ['--version']).status === 0;
const CI = Boolean(process.env['CI']);

/** A new age key pair from age-keygen: the identity file and its recipient. */
function keygen(dir: string, name: string): { file: string; recipient: string } {
  const file = path.join(dir, `${name}.key`);
  execFileSync('age-keygen', ['-o', file], { stdio: 'pipe' });
  const recipient = /public key: (age1[0-9a-z]+)/.exec(fs.readFileSync(file, 'utf8'))![1]!;
  return { file, recipient };
}

/** Runs `command` on a pseudo-terminal (util-linux script), typing `typed` into it. */
function onTerminal(command: string, typed: string, env: Record<string, string> = {}): number {
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { input: typed, env: { ...process.env, ...env }, timeout: 120_000 });
  return r.status ?? -1;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe('the age command line tool', () => {
  it('is installed where CI runs (apt-get install age; .ci/run does it)', () => {
    if (CI) expect(HAVE_AGE, 'the age and age-keygen commands are missing').toBe(true);
  });
});

describe.runIf(HAVE_AGE || CI)('age interoperability', () => {
  it('memsnap → age -d and age -r → memsnap, with recipients, recipients files and wrong keys', () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 51, git: false });
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    expect(runCli(['capture', fx.dir, '--agent', 'cy', '--no-git'], env).code).toBe(0);
    const alice = keygen(root, 'alice');
    const bob = keygen(root, 'bob');
    const plain = path.join(root, 'plain.tar.zst');
    expect(runCli(['export', 'cy', '-o', plain], env).code).toBe(0);

    const enc = path.join(root, 'cy.tar.zst.age');
    const exp = runCli(['export', 'cy', '-o', enc, '-r', alice.recipient, '-r', bob.recipient], env);
    expect(exp.code, exp.stderr).toBe(0);
    const decrypted = execFileSync('age', ['-d', '-i', bob.file, enc]);
    expect(decrypted.equals(fs.readFileSync(plain))).toBe(true);

    const recipients = path.join(root, 'team.txt');
    fs.writeFileSync(recipients, `# the team\n${alice.recipient}\n`);
    const viaFile = path.join(root, 'file.age');
    expect(runCli(['export', 'cy', '-o', viaFile, '-R', recipients], env).code).toBe(0);
    expect(execFileSync('age', ['-d', '-i', alice.file, viaFile]).equals(fs.readFileSync(plain))).toBe(true);

    const byAge = path.join(root, 'by-age.age');
    execFileSync('age', ['-r', bob.recipient, '-o', byAge, plain]);
    const ver = runCli(['bundle', 'verify', byAge, '-i', bob.file, '--json'], {});
    expect(ver.code, ver.stderr).toBe(0);
    expect(ver.json<{ encrypted: boolean }>().encrypted).toBe(true);
    const imp = runCli(['import', byAge, '-i', bob.file, '--json'], { MEMSNAP_STORE: path.join(root, 'dst') });
    expect(imp.code, imp.stderr).toBe(0);

    const restored = runCli(['restore', '--from-bundle', enc, '-i', alice.file, '--target', path.join(root, 'restored'), '--json'], {});
    expect(restored.code, restored.stderr).toBe(0);
    expect(fs.readFileSync(path.join(root, 'restored', 'notes', 'pinned.md')).equals(fs.readFileSync(path.join(fx.dir, 'notes', 'pinned.md')))).toBe(true);

    const wrong = runCli(['bundle', 'verify', byAge, '-i', alice.file, '--json'], {});
    expect(wrong.code).toBe(exitCodeFor('DECRYPTION_FAILED'));
    expect(wrong.json<{ error: { code: string; message: string } }>().error.message).toMatch(/cannot decrypt the bundle/);
    expect(runCli(['import', byAge], { MEMSNAP_STORE: path.join(root, 'dst2') }).stderr).toContain('give an identity file or a passphrase');
  }, 180_000);

  it.runIf(HAVE_SCRIPT || CI)('passphrases: memsnap (file, env, terminal) ↔ age -p', () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 52, git: false });
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    expect(runCli(['capture', fx.dir, '--agent', 'di', '--no-git'], env).code).toBe(0);
    const plain = path.join(root, 'plain.tar.zst');
    expect(runCli(['export', 'di', '-o', plain], env).code).toBe(0);
    const secret = 'tiger lily wombat 42';
    const pwFile = path.join(root, 'pw.txt');
    fs.writeFileSync(pwFile, `${secret}\n`);

    const fromEnv = path.join(root, 'env.age');
    expect(runCli(['export', 'di', '-o', fromEnv, '--passphrase-env', 'BUNDLE_PW'], { ...env, BUNDLE_PW: secret }).code).toBe(0);
    const out = path.join(root, 'out.tar.zst');
    expect(onTerminal(`age -d -o ${quote(out)} ${quote(fromEnv)}`, `${secret}\n`)).toBe(0);
    expect(fs.readFileSync(out).equals(fs.readFileSync(plain))).toBe(true);
    expect(runCli(['bundle', 'verify', fromEnv, '--passphrase-file', pwFile], {}).code).toBe(0);

    const byAge = path.join(root, 'by-age.age');
    expect(onTerminal(`age -p -o ${quote(byAge)} ${quote(plain)}`, `${secret}\n${secret}\n`)).toBe(0);
    expect(runCli(['bundle', 'verify', byAge, '--passphrase-file', pwFile], {}).code).toBe(0);

    const typed = path.join(root, 'typed.age');
    const cmd = `${quote(process.execPath)} --import tsx ${quote(MAIN)} export di -o ${quote(typed)} --passphrase`;
    expect(onTerminal(cmd, `${secret}\n${secret}\n`, env)).toBe(0);
    expect(onTerminal(`age -d -o ${quote(out)} ${quote(typed)}`, `${secret}\n`)).toBe(0);
    expect(fs.readFileSync(out).equals(fs.readFileSync(plain))).toBe(true);
    expect(runCli(['bundle', 'verify', typed, '--passphrase-env', 'PW'], { PW: 'not it' }).code).toBe(exitCodeFor('DECRYPTION_FAILED'));
  }, 300_000);
});
