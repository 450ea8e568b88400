/**
 * What every CLI command is made of, and the pieces they share: argument parsing with
 * node:util's parseArgs (strict: unknown options are usage errors), the store location
 * (`--store`, else `MEMSNAP_STORE`, else `$XDG_DATA_HOME/memsnap` or `~/.local/share/memsnap`),
 * and opening the repository.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidArgumentError } from '../errors/index.js';
import { Repository } from '../snapshot/index.js';
import type { Output } from './output.js';

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** One CLI command. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage text printed by `memsnap COMMAND --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; returns the exit code. */
  run(args: string[], ctx: CommandContext): Promise<number>;
}

/** What a command runs with. */
export interface CommandContext {
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
}

/** Parses `args` with the common options plus `options`. @throws InvalidArgumentError for usage errors. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** The store directory: `--store`, then `MEMSNAP_STORE`, then the per-user default. */
export function storeDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return path.resolve(flag);
  if (env['MEMSNAP_STORE']) return path.resolve(env['MEMSNAP_STORE']);
  const data = env['XDG_DATA_HOME'] || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'memsnap');
}

/** Opens the store; with `create`, makes one first when the directory does not exist yet. */
export async function openRepository(dir: string, create = false): Promise<{ repo: Repository; created: boolean }> {
  if (create && !fs.existsSync(path.join(dir, 'config.json'))) {
    const empty = !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;
    if (empty) return { repo: await Repository.init(dir), created: true };
  }
  return { repo: await Repository.open(dir), created: false };
}

/** Runs `fn` with an open repository and always closes it. */
export async function withRepository<T>(dir: string, fn: (repo: Repository) => Promise<T>, create = false): Promise<T> {
  const { repo } = await openRepository(dir, create);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

/** Repeated string option as an array. */
export function many(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Parses `NAME=PATH` option values (of `--flag`), resolving the paths. */
export function namedPaths(values: string[], flag: string): { name: string; file: string }[] {
  return values.map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new InvalidArgumentError(`--${flag} wants NAME=PATH, got ${JSON.stringify(spec)}`);
    return { name: spec.slice(0, eq), file: path.resolve(spec.slice(eq + 1)) };
  });
}

/** An integer option in `min..max`, or `fallback` when absent. @throws InvalidArgumentError. */
export function intOption(value: string | undefined, flag: string, min: number, max: number, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`--${flag} wants a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** Between `min` and `max` positionals, else a usage error naming `what`. */
export function positionals(list: string[], min: number, max: number, what: string): string[] {
  if (list.length < min || list.length > max) throw new InvalidArgumentError(`expected ${what}`);
  return list;
}
