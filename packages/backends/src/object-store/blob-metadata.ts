import type { BlobMeta } from '../core/provider.js';

/**
 * File name and media type as object metadata. Metadata values must be ASCII on both S3 and Azure, so
 * they are stored percent-encoded (always, so decoding is never ambiguous).
 */
export interface EncodedMetadata {
  readonly filename?: string;
  readonly mediatype?: string;
}

export function encodeBlobMeta(meta: BlobMeta): Record<string, string> {
  const encoded: Record<string, string> = {};
  if (meta.fileName !== undefined) encoded.filename = encodeURIComponent(meta.fileName);
  if (meta.mediaType !== undefined) encoded.mediatype = encodeURIComponent(meta.mediaType);
  return encoded;
}

export function decodeBlobMeta(metadata: Readonly<Record<string, string | undefined>> | undefined): BlobMeta {
  const fileName = decode(metadata?.filename);
  const mediaType = decode(metadata?.mediatype);
  return {
    ...(fileName === undefined ? {} : { fileName }),
    ...(mediaType === undefined ? {} : { mediaType }),
  };
}

/** A media type fit for a Content-Type header (printable ASCII), or undefined. */
export function contentTypeOf(meta: BlobMeta): string | undefined {
  const { mediaType } = meta;
  return mediaType !== undefined && /^[\x21-\x7e][\x20-\x7e]*$/.test(mediaType) ? mediaType : undefined;
}

function decode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
