/** Asks for a passphrase on the controlling terminal (/dev/tty), without echo. */
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { InvalidArgumentError } from '../errors/index.js';

/** Reads lines typed on a raw terminal; keeps what was typed ahead for the next line. */
class TerminalLines {
  private pending = '';
  private waiting: ((line: string | null) => void) | undefined;
  private cancelled = false;

  constructor(
    private readonly input: tty.ReadStream,
    private readonly output: tty.WriteStream,
  ) {
    input.on('data', (data: Buffer) => {
      this.pending += data.toString('utf8');
      this.deliver();
    });
  }

  read(prompt: string): Promise<string> {
    this.output.write(prompt);
    return new Promise<string | null>((resolve) => {
      this.waiting = resolve;
      this.deliver();
    }).then((line) => {
      this.output.write('\n');
      if (line === null) throw new InvalidArgumentError('passphrase entry cancelled');
      return line;
    });
  }

  private deliver(): void {
    if (!this.waiting) return;
    let text = '';
    for (let i = 0; i < this.pending.length; i++) {
      const ch = this.pending[i]!;
      if (ch === '\u0003' || ch === '\u0004') this.cancelled = true;
      if (this.cancelled || ch === '\r' || ch === '\n') {
        const resolve = this.waiting;
        this.waiting = undefined;
        // A CR LF pair ends one line, not two.
        const skip = ch === '\r' && this.pending[i + 1] === '\n' ? 2 : 1;
        this.pending = this.pending.slice(i + skip);
        resolve(this.cancelled ? null : text);
        return;
      }
      if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
      else text += ch;
    }
  }
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
    const lines = new TerminalLines(input, output);
    const first = await lines.read('Passphrase: ');
    if (confirm && (await lines.read('Passphrase again: ')) !== first) throw new InvalidArgumentError('the passphrases differ');
    return first;
  } finally {
    input.setRawMode(false);
    input.destroy();
    output.destroy();
  }
}
