import { createHash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const PREFIX = 'sha256:';

/** True for exactly 64 lower-case hex characters: the only form a digest takes inside Cairn. */
export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/**
 * Refuses anything but 64 lower-case hex characters with INVALID_ARGUMENT, before the value can reach a
 * path, a key or a URL.
 */
export function requireSha256Hex(hex: string): void {
  if (!isSha256Hex(hex)) {
    throw new CairnError(Code.InvalidArgument, 'a digest must be 64 lower-case hex characters');
  }
}

/** True for `sha256:` followed by 64 lower-case hex characters, the one form a digest is written in. */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX) && isSha256Hex(value.slice(PREFIX.length));
}

/** Parses `sha256:<hex>`; anything else (upper case, wrong length, other algorithm) is INVALID_ARGUMENT. */
export function parseDigest(digest: string): string {
  const hex = digest.startsWith(PREFIX) ? digest.slice(PREFIX.length) : undefined;
  if (hex === undefined || !isSha256Hex(hex)) {
    const shown = digest.length > 80 ? `${digest.slice(0, 77)}...` : digest;
    throw new CairnError(
      Code.InvalidArgument,
      `"${shown}" is not a digest; expected "sha256:" followed by 64 lower-case hex characters`,
    );
  }
  return hex;
}

export function formatDigest(hex: string): string {
  return `${PREFIX}${hex}`;
}

/** The sha256 of bytes held in memory, as hex. Streams are hashed where they flow, chunk by chunk. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
