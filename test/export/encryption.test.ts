/**
 * age-encrypted bundles through the library: several recipients, a passphrase, the wrong
 * key, no key, and a tampered ciphertext, each with a clear outcome. Inside the envelope the
 * bundle is the same deterministic bytes as an unencrypted export.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { CorruptBundleError, DecryptionFailedError, InvalidArgumentError } from '../../src/errors/index.js';
import { importBundle, parseIdentityFile, parseRecipientsFile, verifyBundle } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { createAgentFixture } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { capture, exportToBuffer, newRepo, streamOf } from './bundle-helpers.js';

const tempDir = useTempDirs('memsnap-age-');

async function setup(): Promise<{ root: string; src: Awaited<ReturnType<typeof newRepo>>; id: ContentId; plain: Buffer }> {
  const root = tempDir();
  const fx = createAgentFixture(root, { seed: 41, git: false });
  const src = await newRepo(root, 'src');
  const id = (await capture(src, fx.dir)) as ContentId;
  return { root, src, id, plain: (await exportToBuffer(src, { snapshots: [id] })).bytes };
}

describe('age-encrypted bundles', () => {
  it('encrypt to several recipients; any one identity opens it; the plaintext is the plain bundle', async () => {
    const { root, src, id, plain } = await setup();
    try {
      const alice = await generateX25519Identity();
      const bob = await generateX25519Identity();
      const recipients = [await identityToRecipient(alice), await identityToRecipient(bob)];
      const { bytes, result } = await exportToBuffer(src, { snapshots: [id], encryption: { recipients } });
      expect(result.encrypted).toBe(true);
      expect(bytes.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
      expect(bytes.includes(plain.subarray(0, 64))).toBe(false);
      const d = new Decrypter();
      d.addIdentity(bob);
      expect(Buffer.from(await d.decrypt(bytes)).equals(plain)).toBe(true);

      const v = await verifyBundle(streamOf(bytes, 5000), { decryption: { identities: [bob] } });
      expect(v).toMatchObject({ ok: true, encrypted: true });
      const dst = await newRepo(root, 'dst');
      const imported = await importBundle(dst, streamOf(bytes), { decryption: { identities: [alice] } });
      expect(imported.snapshots[0]!.id).toBe(id);
      await dst.close();
    } finally {
      await src.close();
    }
  });

  it('encrypts to a passphrase and opens with it', async () => {
    const { src, id } = await setup();
    try {
      const { bytes } = await exportToBuffer(src, { snapshots: [id], encryption: { passphrase: 'correct horse battery staple', scryptWorkFactor: 10 } });
      const v = await verifyBundle(streamOf(bytes), { decryption: { passphrases: ['correct horse battery staple'] } });
      expect(v.snapshots[0]!.id).toBe(id);
      const wrong = await verifyBundle(streamOf(bytes), { decryption: { passphrases: ['Tr0ub4dor&3'] } }).catch((e: unknown) => e);
      expect(wrong, String(wrong)).toBeInstanceOf(DecryptionFailedError);
    } finally {
      await src.close();
    }
  });

  it('refuses with a clear error: wrong identity, no key, tampered ciphertext, bad recipient', async () => {
    const { src, id } = await setup();
    try {
      const right = await generateX25519Identity();
      const wrongKey = await generateX25519Identity();
      const { bytes } = await exportToBuffer(src, { snapshots: [id], encryption: { recipients: [await identityToRecipient(right)] } });
      const wrong = await verifyBundle(streamOf(bytes), { decryption: { identities: [wrongKey] } }).catch((e: unknown) => e);
      expect(wrong, String(wrong)).toBeInstanceOf(DecryptionFailedError);
      expect((wrong as Error).message).toMatch(/cannot decrypt the bundle: .*(wrong identity or passphrase)/);
      const none = await verifyBundle(streamOf(bytes)).catch((e: unknown) => e);
      expect(none).toBeInstanceOf(DecryptionFailedError);
      expect((none as Error).message).toContain('age-encrypted; give an identity file or a passphrase');
      const tampered = Buffer.from(bytes);
      tampered[tampered.length - 200]! ^= 0x10;
      const t = await verifyBundle(streamOf(tampered), { decryption: { identities: [right] } }).catch((e: unknown) => e);
      expect(t, String(t)).toBeInstanceOf(CorruptBundleError);
      expect((t as Error).message).toContain('(age payload)');
      const bad = await exportToBuffer(src, { snapshots: [id], encryption: { recipients: ['age1notarecipient'] } }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(InvalidArgumentError);
      const both = await exportToBuffer(src, { snapshots: [id], encryption: { recipients: [await identityToRecipient(right)], passphrase: 'x' } }).catch((e: unknown) => e);
      expect(both).toBeInstanceOf(InvalidArgumentError);
    } finally {
      await src.close();
    }
  });

  it('refuses an age header that never ends, without reading it all', async () => {
    const endless = Readable.from(
      (function* () {
        yield Buffer.from('age-encryption.org/v1\n-> X25519 ');
        for (let i = 0; i < 1 << 14; i++) yield Buffer.alloc(64 * 1024, 0x41); // 1 GiB of 'A', no newline
      })(),
      { objectMode: false },
    );
    const identity = await generateX25519Identity();
    const err = await verifyBundle(endless, { decryption: { identities: [identity] } }).catch((e: unknown) => e);
    expect(err, String(err)).toBeInstanceOf(CorruptBundleError);
    expect((err as Error).message).toMatch(/no end of the age header within 1048576 bytes/);
  });

  it('parses recipients files and identity files as age writes them', () => {
    expect(parseRecipientsFile('# team\nage1aaa\n\n  age1bbb  \n')).toEqual(['age1aaa', 'age1bbb']);
    expect(parseIdentityFile('# created: 2026-01-01\n# public key: age1x\nAGE-SECRET-KEY-1ABC\n')).toEqual(['AGE-SECRET-KEY-1ABC']);
    expect(() => parseIdentityFile('# nothing\n')).toThrow(InvalidArgumentError);
    expect(() => parseIdentityFile('ssh-ed25519 AAAA')).toThrow(/not an age secret key/);
  });
});
