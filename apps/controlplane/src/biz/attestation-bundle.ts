import { createHash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';

/** An attestation bundle that passed the checks Store makes before anything is kept. */
export interface CheckedBundle {
  /** `sha256:<hex>` of the bytes as sent. */
  readonly digest: string;
  readonly bytes: Uint8Array;
  readonly size: number;
}

/**
 * Checks a bundle: not empty, at most `maxBytes`, a JSON object. The bytes are kept exactly as sent (the
 * digest is over them), so a signature over the bundle keeps verifying.
 */
export function checkBundle(bytes: Uint8Array, maxBytes: number): CheckedBundle {
  if (bytes.byteLength === 0) {
    throw new CairnError(Code.InvalidArgument, 'the bundle is empty; send the attestation bundle as JSON');
  }
  if (bytes.byteLength > maxBytes) {
    throw new CairnError(
      Code.InvalidArgument,
      `the bundle has ${bytes.byteLength} bytes, more than the ${maxBytes} allowed for this run; ` +
        'keep large evidence out of the bundle and upload it as materials',
      { details: { reason: 'bundle_too_large' } },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new CairnError(Code.InvalidArgument, 'the bundle is not valid UTF-8 JSON; send it as JSON', {
      details: { reason: 'bundle_not_json' },
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CairnError(Code.InvalidArgument, 'the bundle must be a JSON object', {
      details: { reason: 'bundle_not_json' },
    });
  }
  return { digest: sha256Digest(bytes), bytes, size: bytes.byteLength };
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
