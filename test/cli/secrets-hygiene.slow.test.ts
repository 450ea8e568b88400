/**
 * Secrets stay out of argv, messages and JSON: `--passphrase VALUE` is not a way to give one
 * (the value is refused as a stray argument), and a wrong passphrase, a wrong one from a
 * file, or an encryption to a passphrase never echoes it on stdout or stderr, with or
 * without --json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const tempDir = useTempDirs('memsnap-cli-secrets-');
const SECRET = 'hunter2-very-secret-passphrase';

describe('passphrase hygiene', () => {
  it('never takes a passphrase from argv and never prints one', () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'note.md'), 'hello\n');
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    expect(runCli(['capture', dir, '--no-git'], env).code).toBe(0);
    const bundle = path.join(root, 'b.tar.zst');

    const onArgv = runCli(['export', 'agent', '-o', bundle, '--passphrase', SECRET], env);
    expect(onArgv.code).toBe(2);
    expect(fs.existsSync(bundle)).toBe(false);

    const outputs: string[] = [onArgv.stdout];
    const made = runCli(['export', 'agent', '-o', bundle, '--passphrase-env', 'PW', '--json'], { ...env, PW: SECRET });
    expect(made.code, made.stderr).toBe(0);
    outputs.push(made.stdout, made.stderr);
    const pwFile = path.join(root, 'pw');
    fs.writeFileSync(pwFile, `${SECRET}-wrong\n`);
    for (const args of [
      ['bundle', 'verify', bundle, '--passphrase-file', pwFile],
      ['bundle', 'verify', bundle, '--passphrase-file', pwFile, '--json'],
      ['import', bundle, '--passphrase-env', 'PW', '--json'],
    ]) {
      const r = runCli(args, { MEMSNAP_STORE: path.join(root, 'other'), PW: `${SECRET}-wrong` });
      expect(r.code, args.join(' ')).not.toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    const ok = runCli(['bundle', 'verify', bundle, '--passphrase-env', 'PW', '--json'], { PW: SECRET });
    expect(ok.code, ok.stderr).toBe(0);
    outputs.push(ok.stdout, ok.stderr);
    for (const text of outputs) expect(text).not.toContain('hunter2');
  });
});
