/**
 * Content ids: the BLAKE3-256 hash of a chunk or object, as a branded lowercase hex string.
 *
 * Ids are parsed and formatted only at the edges (CLI, files, index); inside, a
 * `ContentId` is known to be 64 lowercase hex characters. `shortId` gives the
 * 12-character form for logs and messages.
 */
import { InvalidArgumentError } from '../errors/index.js';
import { blake3 } from './blake3.js';

/** A BLAKE3-256 digest as 64 lowercase hex characters. */
export type ContentId = string & { readonly __brand: 'ContentId' };

/** Length of a content id in bytes. */
export const CONTENT_ID_BYTES = 32;

const HEX_ID = /^[0-9a-f]{64}$/;

/** Parses a 64-character hex string into a ContentId; throws InvalidArgumentError otherwise. */
export function parseContentId(text: string): ContentId {
  const lower = text.toLowerCase();
  if (!HEX_ID.test(lower)) throw new InvalidArgumentError(`not a content id (want 64 hex characters): ${JSON.stringify(text.slice(0, 80))}`);
  return lower as ContentId;
}

/** Whether `text` is a well-formed content id. */
export function isContentId(text: string): text is ContentId {
  return HEX_ID.test(text);
}

/** The id of 32 raw digest bytes. */
export function contentIdFromBytes(bytes: Uint8Array): ContentId {
  if (bytes.length !== CONTENT_ID_BYTES) throw new InvalidArgumentError(`a content id is ${CONTENT_ID_BYTES} bytes, got ${bytes.length}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') as ContentId;
}

/** The 32 raw bytes of an id. */
export function contentIdToBytes(id: ContentId): Buffer {
  return Buffer.from(id, 'hex');
}

/** The id of `data`: its BLAKE3-256 hash. */
export function hashContent(data: Uint8Array): ContentId {
  return contentIdFromBytes(blake3(data));
}

/** The 12-character prefix used in logs and messages. */
export function shortId(id: ContentId): string {
  return id.slice(0, 12);
}
