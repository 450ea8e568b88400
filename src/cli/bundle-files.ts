/**
 * Where bundles come from and go to on the command line: a file or `-` (stdin/stdout).
 * A bundle file is written under a temporary name and renamed when complete, so a failed
 * export never leaves a partial bundle under the name asked for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { InvalidArgumentError } from '../errors/index.js';

/** A readable bundle: the file, or stdin for `-`. @throws InvalidArgumentError when the file cannot be opened. */
export function openBundleInput(file: string): Readable {
  if (file === '-') {
    if (process.stdin.isTTY) throw new InvalidArgumentError('stdin is a terminal: pipe a bundle in, or name the bundle file');
    return process.stdin;
  }
  try {
    const fd = fs.openSync(file, 'r');
    return fs.createReadStream('', { fd });
  } catch (err) {
    throw new InvalidArgumentError(`cannot read bundle ${file}: ${(err as Error).message}`);
  }
}

/** Runs `write` into a temporary sibling of `file` and renames it into place on success; `-` writes to stdout (never ended). */
export async function writeBundleOutput<T>(file: string, write: (out: Writable) => Promise<T>): Promise<T> {
  if (file === '-') {
    if (process.stdout.isTTY) throw new InvalidArgumentError('stdout is a terminal: redirect it to a file, or give --output FILE');
    const stdout = new Writable({ write: (chunk: Buffer, _enc, cb) => void process.stdout.write(chunk, cb) });
    return write(stdout);
  }
  const target = path.resolve(file);
  if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError(`--output ${file} is a directory`);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let out: fs.WriteStream;
  try {
    out = fs.createWriteStream('', { fd: fs.openSync(temp, 'wx', 0o600) });
  } catch (err) {
    throw new InvalidArgumentError(`cannot write ${file}: ${(err as Error).message}`);
  }
  try {
    const result = await write(out);
    // Durable before it takes the name: a bundle is often deleted at the source once sent.
    const fd = fs.openSync(temp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
    return result;
  } catch (err) {
    out.destroy();
    fs.rmSync(temp, { force: true });
    throw err;
  }
}
