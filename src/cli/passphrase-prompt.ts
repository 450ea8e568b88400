/** Asks for a passphrase on the controlling terminal (/dev/tty), without echo. */
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { InvalidArgumentError } from '../errors/index.js';

function readLine(input: tty.ReadStream, output: tty.WriteStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    output.write(prompt);
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          input.off('data', onData);
          output.write('\n');
          resolve(text);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          input.off('data', onData);
          output.write('\n');
          reject(new InvalidArgumentError('passphrase entry cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    input.on('data', onData);
  });
}

/**
 * The passphrase typed on the terminal; with `confirm`, asked twice and compared.
 * @throws InvalidArgumentError when there is no terminal, entry is cancelled, or the two differ.
 */
export async function promptPassphrase(confirm: boolean): Promise<string> {
  let fd: number;
  try {
    fd = fs.openSync('/dev/tty', 'r+');
  } catch {
    throw new InvalidArgumentError('no terminal to ask for the passphrase; use --passphrase-file or --passphrase-env');
  }
  const input = new tty.ReadStream(fd);
  const output = new tty.WriteStream(fd);
  input.setRawMode(true);
  try {
    const first = await readLine(input, output, 'Passphrase: ');
    if (confirm && (await readLine(input, output, 'Passphrase again: ')) !== first) throw new InvalidArgumentError('the passphrases differ');
    return first;
  } finally {
    input.setRawMode(false);
    input.destroy();
    output.destroy();
  }
}
