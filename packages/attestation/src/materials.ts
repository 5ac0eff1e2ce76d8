import { createHash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { digestOf, inlineBytes } from './digest.js';
import type { MaterialKind } from './kinds.js';
import type { MaterialLocation, PredicateMaterial, Statement } from './statement.js';

/** What a verifier must fetch and hash for one material of a verified statement. */
export interface MaterialToCheck {
  readonly name: string;
  readonly kind: MaterialKind;
  /** `sha256:<64 hex>` */
  readonly digest: string;
  readonly size: number;
  readonly location: MaterialLocation;
}

/**
 * Every material of a (verified) statement, in order, with where its bytes are. The caller fetches
 * backend-held ones from the CAS and hands them to `checkMaterialContent`, checks inline ones with
 * `checkInlineMaterial`, and resolves images' digests from their registry.
 */
export function materialsToCheck(statement: Statement): MaterialToCheck[] {
  return statement.predicate.materials.map(({ name, kind, digest, size, location }) => ({
    name,
    kind,
    digest,
    size,
    location,
  }));
}

/**
 * Hashes an inline material's content and returns its bytes. DATA_LOSS naming the material when they do not
 * match its digest and size; INVALID_ARGUMENT for a material that is not inline.
 */
export function checkInlineMaterial(material: MaterialToCheck | PredicateMaterial): Buffer {
  if (!('inline' in material.location)) {
    throw new CairnError(
      Code.InvalidArgument,
      `material ${JSON.stringify(material.name)} is not inline; fetch it from where its location says and check it with checkMaterialContent`,
      { details: { reason: 'material_not_inline' } },
    );
  }
  const bytes = inlineBytes(material.kind, material.location.inline);
  compare(material, bytes.byteLength, digestOf(bytes));
  return bytes;
}

/**
 * Hashes a material's bytes, given whole or as a stream (e.g. a CAS download), and throws DATA_LOSS naming
 * the material when they do not match its digest and size. Memory stays bounded for a stream; the signal
 * stops reading it.
 */
export async function checkMaterialContent(
  material: MaterialToCheck | PredicateMaterial,
  content: Uint8Array | AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  options.signal?.throwIfAborted();
  if (content instanceof Uint8Array) {
    compare(material, content.byteLength, digestOf(content));
    return;
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of content) {
    options.signal?.throwIfAborted();
    hash.update(chunk);
    size += chunk.byteLength;
  }
  compare(material, size, `sha256:${hash.digest('hex')}`);
}

function compare(material: MaterialToCheck, size: number, digest: string): void {
  if (size === material.size && digest === material.digest) return;
  throw new CairnError(
    Code.DataLoss,
    `material ${JSON.stringify(material.name)} does not match the attestation: its content is ${size} bytes with digest ` +
      `${digest}, the attestation names ${material.size} bytes with digest ${material.digest}; ` +
      'the material was changed after it was attested',
    { details: { reason: 'digest_mismatch' } },
  );
}

/**
 * A material whose bytes the attestation itself carries: a STRING's text, or base64 of a small file's
 * bytes (for runs on the inline backend). Digest and size are computed here.
 */
export function inlineMaterial(input: {
  name: string;
  kind: MaterialKind;
  content: Uint8Array | string;
  fileName?: string;
  annotations?: Readonly<Record<string, string>>;
}): PredicateMaterial {
  if (input.kind === 'CONTAINER_IMAGE') {
    throw new CairnError(
      Code.InvalidArgument,
      'a CONTAINER_IMAGE material names an image; it cannot be inline',
      {
        details: { reason: 'invalid_material' },
      },
    );
  }
  const bytes =
    typeof input.content === 'string' ? Buffer.from(input.content, 'utf8') : Buffer.from(input.content);
  if (input.kind === 'STRING' && typeof input.content !== 'string') {
    throw new CairnError(
      Code.InvalidArgument,
      `STRING material ${JSON.stringify(input.name)} must be given as text`,
      {
        details: { reason: 'invalid_material' },
      },
    );
  }
  return {
    name: input.name,
    kind: input.kind,
    digest: digestOf(bytes),
    size: bytes.byteLength,
    ...(input.fileName === undefined ? {} : { fileName: input.fileName }),
    annotations: input.annotations ?? {},
    location: { inline: input.kind === 'STRING' ? (input.content as string) : bytes.toString('base64') },
  };
}
