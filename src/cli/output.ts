/**
 * Everything the CLI prints goes through here: human text on stdout, or one JSON document
 * with `--json`; messages and progress on stderr so stdout stays clean for pipes.
 */
import { ProgressBar } from './progress-bar.js';
import type { ProgressCallback } from '../cas/index.js';

/** Human-readable byte count (1000-based: kB, MB, GB). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

/** A time in ms since the epoch as UTC text (`2026-11-22 01:45:00Z`). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Where a command writes. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Prints a line of human text (nothing in JSON mode). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** Prints the command's result: JSON in JSON mode, else `human()` lines. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else human();
  }

  /** One compact JSON document on its own line (streams of results, such as `watch --json`). */
  jsonLine(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A note on stderr (never in JSON mode's stdout). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** Raw bytes to stdout (cat). */
  raw(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.stdout.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** A progress callback drawing a bar on stderr when it is a terminal, or nothing. */
  progress(label: string): { callback?: ProgressCallback; done(): void } {
    if (this.json || !this.stderr.isTTY) return { done: () => undefined };
    const bar = new ProgressBar(this.stderr, label);
    return { callback: (p) => bar.update(p), done: () => bar.finish() };
  }
}
