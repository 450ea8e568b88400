/**
 * age encryption of whole bundles (age-encryption, the TypeScript implementation of
 * age-encryption.org/v1 by the age authors), interoperable with the `age` command.
 *
 * The compressed bundle is encrypted as one age file: to one or more X25519 (`age1...`) or
 * hybrid post-quantum (`age1pq1...`) recipients, or to one passphrase (scrypt). age-encryption
 * streams through WHATWG streams in 64 KiB STREAM chunks, so encryption and decryption keep
 * memory bounded like the rest of the bundle path. Only the binary age format is read and
 * written (not `-a` armor). An encrypted bundle is not byte-for-byte reproducible: age draws
 * a fresh random file key each time.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Decrypter, Encrypter } from 'age-encryption';
import { CorruptBundleError, DecryptionFailedError, InvalidArgumentError } from '../errors/index.js';

/** First line of every binary age file. */
export const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n');
/** First line of an armored (`age -a`) file, which bundles do not accept. */
export const AGE_ARMOR_MAGIC = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----');

/**
 * Longest age header accepted, in bytes (1 MiB: hundreds of recipients). age-encryption
 * reads header lines without a limit, so a hostile file could otherwise grow memory forever.
 */
export const MAX_AGE_HEADER_BYTES = 1 << 20;

/** How to encrypt a bundle: recipients or one passphrase, never both. */
export interface BundleEncryption {
  /** age recipients (`age1...`, `age1pq1...`). */
  readonly recipients?: readonly string[];
  /** A passphrase (scrypt). Never take it from the command line: a file, the environment or a terminal. */
  readonly passphrase?: string;
  /** log2 of scrypt's work factor for a passphrase. Default 18 (the age default; ~1 s). Lower only in tests. */
  readonly scryptWorkFactor?: number;
}

/** How to decrypt a bundle: identities and/or passphrases, all tried. */
export interface BundleDecryption {
  /** age identities (`AGE-SECRET-KEY-1...`, `AGE-SECRET-KEY-PQ-1...`). */
  readonly identities?: readonly string[];
  readonly passphrases?: readonly string[];
}

/** The recipients in a recipients file: one per line, `#` comments and blank lines ignored. */
export function parseRecipientsFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The identities in an identity file (as `age-keygen` writes): lines starting `AGE-SECRET-KEY-`. */
export function parseIdentityFile(text: string): string[] {
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const k of keys) if (!k.startsWith('AGE-SECRET-KEY-')) throw new InvalidArgumentError(`identity file line is not an age secret key (starts ${JSON.stringify(k.slice(0, 16))})`);
  if (keys.length === 0) throw new InvalidArgumentError('identity file holds no AGE-SECRET-KEY- line');
  return keys;
}

/** Builds an age encrypter. @throws InvalidArgumentError for no key, both kinds, or a bad recipient. */
function encrypter(enc: BundleEncryption): Encrypter {
  const recipients = enc.recipients ?? [];
  if (recipients.length === 0 && enc.passphrase === undefined) throw new InvalidArgumentError('encryption needs at least one recipient or a passphrase');
  if (recipients.length > 0 && enc.passphrase !== undefined) throw new InvalidArgumentError('encrypt to recipients or to a passphrase, not both');
  const e = new Encrypter();
  if (enc.passphrase !== undefined) {
    if (enc.passphrase.length === 0) throw new InvalidArgumentError('the passphrase is empty');
    e.setPassphrase(enc.passphrase);
    if (enc.scryptWorkFactor !== undefined) e.setScryptWorkFactor(enc.scryptWorkFactor);
  }
  for (const r of recipients) {
    try {
      e.addRecipient(r);
    } catch (err) {
      throw new InvalidArgumentError(`not an age recipient: ${JSON.stringify(r.slice(0, 80))} (${(err as Error).message})`);
    }
  }
  return e;
}

/** Encrypts a byte stream; the result streams as `input` is read. @throws InvalidArgumentError (see {@link BundleEncryption}). */
export async function encryptStream(input: Readable, enc: BundleEncryption): Promise<Readable> {
  const e = encrypter(enc);
  const web = Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>;
  const out = await e.encrypt(web);
  return Readable.fromWeb(out as unknown as NodeReadableStream<Uint8Array>);
}

/**
 * Decrypts an age stream whose header has not been read yet.
 * @throws DecryptionFailedError when no identity or passphrase given, or none opens it;
 *   the returned stream fails with CorruptBundleError when the payload was tampered with.
 */
export async function decryptStream(input: Readable, dec: BundleDecryption | undefined): Promise<Readable> {
  const identities = dec?.identities ?? [];
  const passphrases = dec?.passphrases ?? [];
  if (identities.length === 0 && passphrases.length === 0) {
    input.destroy();
    throw new DecryptionFailedError('it is age-encrypted; give an identity file or a passphrase');
  }
  const d = new Decrypter();
  try {
    for (const id of identities) d.addIdentity(id);
  } catch (err) {
    input.destroy();
    throw new InvalidArgumentError(`not an age identity (${(err as Error).message})`);
  }
  for (const p of passphrases) d.addPassphrase(p);
  const bounded = await withBoundedHeader(input);
  let out: ReadableStream<Uint8Array>;
  try {
    out = await d.decrypt(Readable.toWeb(bounded) as unknown as ReadableStream<Uint8Array>);
  } catch (err) {
    input.destroy();
    const msg = (err as Error).message;
    throw new DecryptionFailedError(/no identity matched|incorrect passphrase|scrypt|matched/i.test(msg) ? `${msg} (wrong identity or passphrase?)` : msg, err);
  }
  const plain = Readable.fromWeb(out as unknown as NodeReadableStream<Uint8Array>);
  // Payload authentication failures surface while reading: name them as a damaged bundle.
  const guarded = new Readable({ read() {} });
  plain.on('data', (b: Buffer) => {
    if (!guarded.push(b)) plain.pause();
  });
  guarded._read = () => plain.resume();
  plain.on('end', () => guarded.push(null));
  plain.on('error', (err) => guarded.destroy(new CorruptBundleError('(age payload)', `decryption failed: ${err.message}; the encrypted bundle is damaged or truncated`, err)));
  guarded._destroy = (err, cb) => {
    plain.destroy();
    cb(err);
  };
  return guarded;
}

/** Index just past the header's final `--- MAC` line, or -1 when it has not arrived yet. */
function headerEnd(b: Buffer): number {
  const mac = b.indexOf('\n---');
  if (mac < 0) return -1;
  const eol = b.indexOf(0x0a, mac + 1);
  return eol < 0 ? -1 : eol + 1;
}

/**
 * Reads the whole age header (at most {@link MAX_AGE_HEADER_BYTES}) before decryption
 * starts; returns a stream of everything read.
 * @throws CorruptBundleError for a longer header.
 */
async function withBoundedHeader(input: Readable): Promise<Readable> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (headerEnd(head) < 0) {
    if (head.length > MAX_AGE_HEADER_BYTES) {
      input.destroy();
      throw new CorruptBundleError('(age header)', `no end of the age header within ${MAX_AGE_HEADER_BYTES} bytes`);
    }
    const r = await it.next();
    if (r.done) break;
    head = Buffer.concat([head, Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)]);
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return Readable.from(all(), { objectMode: false });
}
