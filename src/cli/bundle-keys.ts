/**
 * Keys for bundle encryption and decryption from command-line options. Passphrases are never
 * taken from argv (visible in `ps` and shell history): only from a file (`--passphrase-file`,
 * first line), an environment variable (`--passphrase-env NAME`) or the terminal
 * (`--passphrase`, asked on /dev/tty without echo).
 */
import * as fs from 'node:fs';
import { InvalidArgumentError } from '../errors/index.js';
import { parseIdentityFile, parseRecipientsFile, type BundleDecryption, type BundleEncryption } from '../export/index.js';
import { promptPassphrase } from './passphrase-prompt.js';

/** Options every bundle command accepts for passphrases. */
export const PASSPHRASE_OPTIONS = {
  passphrase: { type: 'boolean' },
  'passphrase-file': { type: 'string' },
  'passphrase-env': { type: 'string' },
} as const;

/** Usage lines for {@link PASSPHRASE_OPTIONS}. */
export const PASSPHRASE_USAGE = `  --passphrase          ask for a passphrase on the terminal
  --passphrase-file F   read the passphrase from the first line of file F
  --passphrase-env VAR  take the passphrase from environment variable VAR`;

interface PassphraseValues {
  passphrase?: boolean | undefined;
  'passphrase-file'?: string | undefined;
  'passphrase-env'?: string | undefined;
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/** The passphrase the options name, or undefined. @throws InvalidArgumentError for several sources or an empty one. */
export async function passphraseFrom(values: PassphraseValues, env: NodeJS.ProcessEnv, confirm: boolean): Promise<string | undefined> {
  const sources = [values.passphrase, values['passphrase-file'], values['passphrase-env']].filter((v) => v !== undefined && v !== false);
  if (sources.length > 1) throw new InvalidArgumentError('give one of --passphrase, --passphrase-file and --passphrase-env');
  let p: string | undefined;
  if (values['passphrase-file'] !== undefined) p = readText(values['passphrase-file'], 'passphrase file').split(/\r?\n/)[0] ?? '';
  else if (values['passphrase-env'] !== undefined) {
    p = env[values['passphrase-env']];
    if (p === undefined) throw new InvalidArgumentError(`environment variable ${values['passphrase-env']} is not set`);
  } else if (values.passphrase) p = await promptPassphrase(confirm);
  if (p !== undefined && p.length === 0) throw new InvalidArgumentError('the passphrase is empty');
  return p;
}

/** Encryption from `--recipient`, `--recipients-file` and the passphrase options; undefined for none. */
export async function encryptionFrom(values: PassphraseValues & { recipient?: string[] | undefined; 'recipients-file'?: string[] | undefined }, env: NodeJS.ProcessEnv): Promise<BundleEncryption | undefined> {
  const recipients = [...(values.recipient ?? []), ...(values['recipients-file'] ?? []).flatMap((f) => parseRecipientsFile(readText(f, 'recipients file')))];
  const passphrase = await passphraseFrom(values, env, true);
  if (recipients.length === 0 && passphrase === undefined) {
    if ((values['recipients-file'] ?? []).length > 0) throw new InvalidArgumentError('the recipients files list no recipient');
    return undefined;
  }
  if (recipients.length > 0 && passphrase !== undefined) throw new InvalidArgumentError('encrypt to recipients or to a passphrase, not both');
  return passphrase !== undefined ? { passphrase } : { recipients };
}

/** Decryption keys from `--identity` files and the passphrase options. */
export async function decryptionFrom(values: PassphraseValues & { identity?: string[] | undefined }, env: NodeJS.ProcessEnv): Promise<BundleDecryption> {
  const identities = (values.identity ?? []).flatMap((f) => parseIdentityFile(readText(f, 'identity file')));
  const passphrase = await passphraseFrom(values, env, false);
  return { identities, passphrases: passphrase === undefined ? [] : [passphrase] };
}
