import { CairnError, Code } from '@cairn/errors';
import type { BlobInfo, BlobMeta } from '../core/provider.js';

/**
 * How a blob is laid out in a registry: an OCI 1.1 artifact, i.e. an image manifest whose
 * `artifactType` says "Cairn evidence", whose config is the empty descriptor, and whose one layer is the
 * blob. The manifest is tagged by the blob's digest, and that tag is what makes the blob "stored".
 */
export const EVIDENCE_ARTIFACT_TYPE = 'application/vnd.cairn.evidence.v1';
export const OCI_IMAGE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DEFAULT_LAYER_MEDIA_TYPE = 'application/octet-stream';
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
/** The media type exactly as the client gave it, which may not be a valid descriptor media type. */
export const MEDIA_TYPE_ANNOTATION = 'dev.cairn.media-type';

export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  hex: '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  bytes: new TextEncoder().encode('{}'),
} as const;

// The image spec's media type grammar (RFC 6838 type/subtype, no parameters).
const DESCRIPTOR_MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/**
 * The tag of a blob's manifest. Tags cannot hold ':'. The `cairn-` prefix keeps clear of the OCI 1.1
 * referrers tag schema, which uses `sha256-<hex>` for a manifest's referrers index.
 */
export function evidenceTag(hex: string): string {
  return `cairn-sha256-${hex}`;
}

/** Deterministic bytes: the same blob and metadata always give the same manifest digest. */
export function evidenceManifest(hex: string, size: number, meta: BlobMeta): Uint8Array {
  const annotations: Record<string, string> = {};
  if (meta.fileName) annotations[TITLE_ANNOTATION] = meta.fileName;
  if (meta.mediaType) annotations[MEDIA_TYPE_ANNOTATION] = meta.mediaType;
  const layerMediaType =
    meta.mediaType && DESCRIPTOR_MEDIA_TYPE.test(meta.mediaType) ? meta.mediaType : DEFAULT_LAYER_MEDIA_TYPE;
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_IMAGE_MANIFEST,
    artifactType: EVIDENCE_ARTIFACT_TYPE,
    config: {
      mediaType: EMPTY_CONFIG.mediaType,
      digest: EMPTY_CONFIG.digest,
      size: EMPTY_CONFIG.size,
      data: 'e30=',
    },
    layers: [
      {
        mediaType: layerMediaType,
        digest: `sha256:${hex}`,
        size,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
    ],
  };
  return new TextEncoder().encode(JSON.stringify(manifest));
}

/** Reads back what `evidenceManifest` wrote; anything else under the tag is refused. */
export function parseEvidenceManifest(bytes: Uint8Array, hex: string, where: string): BlobInfo {
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw foreign(hex, where);
  }
  const record = asRecord(manifest);
  const layers = record?.layers;
  if (record?.artifactType !== EVIDENCE_ARTIFACT_TYPE || !Array.isArray(layers) || layers.length !== 1) {
    throw foreign(hex, where);
  }
  const layer = asRecord(layers[0]);
  const size = layer?.size;
  if (
    layer?.digest !== `sha256:${hex}` ||
    typeof size !== 'number' ||
    !Number.isSafeInteger(size) ||
    size < 0
  ) {
    throw foreign(hex, where);
  }
  const annotations = asRecord(layer.annotations);
  const fileName = annotations?.[TITLE_ANNOTATION];
  const mediaType = annotations?.[MEDIA_TYPE_ANNOTATION];
  return {
    hex,
    size,
    ...(typeof fileName === 'string' ? { fileName } : {}),
    ...(typeof mediaType === 'string' ? { mediaType } : {}),
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function foreign(hex: string, where: string): CairnError {
  return new CairnError(
    Code.FailedPrecondition,
    `tag ${evidenceTag(hex)} in ${where} holds something other than Cairn's manifest for sha256:${hex}; give Cairn a repository of its own`,
    { details: { reason: 'foreign_manifest' } },
  );
}
