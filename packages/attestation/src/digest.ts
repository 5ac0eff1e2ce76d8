import { formatDigest, sha256Hex } from '@cairn/digest';

/** `sha256:<64 lower-case hex>` of some bytes (a string is hashed as its UTF-8 bytes). */
export function digestOf(content: Uint8Array | string): string {
  return formatDigest(sha256Hex(content));
}

/** The bytes an inline location holds: a STRING material's text as UTF-8, any other kind's base64 decoded. */
export function inlineBytes(kind: string, inline: string): Buffer {
  return kind === 'STRING' ? Buffer.from(inline, 'utf8') : Buffer.from(inline, 'base64');
}
