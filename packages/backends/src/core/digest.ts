import { CairnError, Code } from '@cairn/errors';

/** A blob's identity: its sha256 (64 lower-case hex characters) and its size in bytes. */
export interface BlobRef {
  readonly hex: string;
  readonly size: number;
}

const HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return HEX.test(value);
}

/** Parses `sha256:<hex>`; anything else (upper case, wrong length, other algorithm) is INVALID_ARGUMENT. */
export function parseDigest(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : undefined;
  if (hex === undefined || !isSha256Hex(hex)) {
    throw new CairnError(
      Code.InvalidArgument,
      `"${truncate(digest)}" is not a digest; expected "sha256:" followed by 64 lower-case hex characters`,
    );
  }
  return hex;
}

export function formatDigest(hex: string): string {
  return `sha256:${hex}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
