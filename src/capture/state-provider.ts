/**
 * Runtime state: small values outside the memdir (an extractor cursor, the last dream-run
 * record) captured into every snapshot through providers.
 *
 * A provider's `capture` returns a JSON value, or undefined for "nothing to record";
 * `restore` receives the value recorded (undefined when there was none) and must put it
 * back. Providers run at the cut, after the database read transactions are open.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, SourceUnreadableError } from '../errors/index.js';
import type { JsonValue } from '../snapshot/index.js';

/** Captures and restores one piece of runtime state. */
export interface StateProvider {
  /** Unique name within a capture, used as the key in the snapshot. */
  readonly name: string;
  capture(): JsonValue | undefined | Promise<JsonValue | undefined>;
  restore(value: JsonValue | undefined): void | Promise<void>;
}

/** A provider that records nothing and restores nothing (the default). */
export const noopStateProvider: StateProvider = {
  name: 'noop',
  capture: () => undefined,
  restore: () => undefined,
};

/**
 * A JSON file as runtime state. Capture parses the file (a missing file records nothing);
 * restore writes it atomically (temp file, fsync, rename), or deletes it when nothing was recorded.
 */
export class JsonFileStateProvider implements StateProvider {
  /** @param name key in the snapshot; @param file path of the JSON file. */
  constructor(
    readonly name: string,
    readonly file: string,
  ) {}

  capture(): JsonValue | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SourceUnreadableError(this.file, err);
    }
    try {
      return JSON.parse(text) as JsonValue;
    } catch (err) {
      throw new InvalidArgumentError(`state file ${this.file} (provider ${this.name}) is not valid JSON: ${(err as Error).message}`);
    }
  }

  restore(value: JsonValue | undefined): void {
    if (value === undefined) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
