/**
 * The store's config object (`config.json`): written once at init, read at every open.
 * It records everything that decides bytes, so a store never changes meaning silently.
 * Format documented in docs/FORMAT.md.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, UnsupportedVersionError } from '../errors/index.js';
import { DEFAULT_FILE_CHUNKER, DEFAULT_PAGE_CHUNKER, GEAR_TABLE_NAME, knownFileChunkerNames, knownPageChunkerNames } from '../chunker/index.js';
import { DEFAULT_ZSTD_LEVEL } from './compression.js';

/** Store format version this build writes and reads. */
export const STORE_VERSION = 1;
/** Object key of the config. */
export const CONFIG_KEY = 'config.json';

/** The parsed config of a store. */
export interface StoreConfig {
  readonly format: 'memsnap-store';
  readonly version: number;
  /** Random id of this store, for bundles and logs. */
  readonly storeId: string;
  /** ISO time of `init`. */
  readonly createdAt: string;
  /** Content hash; only `blake3-256` exists. */
  readonly hash: 'blake3-256';
  /** Frozen chunker names: `file` for files, `sqlite` for database images, `gear` the table. */
  readonly chunkers: { readonly file: string; readonly sqlite: string; readonly gear: string };
  /** Payload compression: zstd at `level`. */
  readonly compression: { readonly codec: 'zstd'; readonly level: number };
  /** A pack is sealed once its payloads reach this many bytes. */
  readonly packTargetBytes: number;
}

/** Choices a caller may make at init; everything else is fixed by this build. */
export interface StoreConfigOptions {
  /** Default `fastcdc-v1-8k` (DEFAULT_FILE_CHUNKER). */
  readonly fileChunker?: string;
  /** Default `pages-v1-4k` (DEFAULT_PAGE_CHUNKER). */
  readonly sqliteChunker?: string;
  /** zstd level 1..19, default 3. */
  readonly compressionLevel?: number;
  /** Default 16 MiB; 64 KiB .. 1 GiB. */
  readonly packTargetBytes?: number;
}

/** A new config from options. @throws InvalidArgumentError for unknown chunkers or bad sizes. */
export function newStoreConfig(options: StoreConfigOptions = {}, now = new Date()): StoreConfig {
  const config: StoreConfig = {
    format: 'memsnap-store',
    version: STORE_VERSION,
    storeId: randomUUID(),
    createdAt: now.toISOString(),
    hash: 'blake3-256',
    chunkers: {
      file: options.fileChunker ?? DEFAULT_FILE_CHUNKER,
      sqlite: options.sqliteChunker ?? DEFAULT_PAGE_CHUNKER,
      gear: GEAR_TABLE_NAME,
    },
    compression: { codec: 'zstd', level: options.compressionLevel ?? DEFAULT_ZSTD_LEVEL },
    packTargetBytes: options.packTargetBytes ?? 16 << 20,
  };
  validate(config);
  return config;
}

/** Parses a stored config. @throws UnsupportedVersionError for newer stores, InvalidArgumentError for malformed ones. */
export function parseStoreConfig(text: string): StoreConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`config.json is not JSON: ${(err as Error).message}`);
  }
  const c = value as StoreConfig;
  if (typeof c !== 'object' || c === null || c.format !== 'memsnap-store') throw new InvalidArgumentError('config.json is not a memsnap store config');
  if (typeof c.version !== 'number' || c.version > STORE_VERSION) throw new UnsupportedVersionError('store', shown(c.version), STORE_VERSION);
  validate(c);
  return c;
}

/** A config value as text for a message, whatever JSON put there (String() throws on some objects). */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/** Canonical text of a config. */
export function formatStoreConfig(config: StoreConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

function validate(c: StoreConfig): void {
  if (c.hash !== 'blake3-256') throw new UnsupportedVersionError('store hash', shown(c.hash), 'blake3-256');
  const files = knownFileChunkerNames();
  const pages = knownPageChunkerNames();
  if (!files.includes(c.chunkers?.file)) throw new UnsupportedVersionError('store file chunker', shown(c.chunkers?.file), files.join(', '));
  if (!pages.includes(c.chunkers?.sqlite)) throw new UnsupportedVersionError('store sqlite chunker', shown(c.chunkers?.sqlite), pages.join(', '));
  if (c.chunkers.gear !== GEAR_TABLE_NAME) throw new UnsupportedVersionError('store gear table', shown(c.chunkers.gear), GEAR_TABLE_NAME);
  const level = c.compression?.level;
  if (c.compression?.codec !== 'zstd' || !Number.isInteger(level) || level < 1 || level > 19) {
    throw new InvalidArgumentError(`bad compression setting ${JSON.stringify(c.compression)} (zstd level 1..19)`);
  }
  if (!Number.isInteger(c.packTargetBytes) || c.packTargetBytes < 64 << 10 || c.packTargetBytes > 1 << 30) {
    throw new InvalidArgumentError(`packTargetBytes must be 64 KiB .. 1 GiB, got ${c.packTargetBytes}`);
  }
}
