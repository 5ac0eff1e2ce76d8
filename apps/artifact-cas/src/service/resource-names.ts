import type { BlobRef } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { UploadName } from '../biz/write-blob.js';

/**
 * ByteStream resource names (the CAS's wire contract, docs/architecture.md):
 *   upload:   uploads/{uuid}/blobs/{sha256-hex}/{size}
 *   download: blobs/{sha256-hex}/{size}
 * No instance-name prefix is accepted: the backend is chosen by the token, so an instance name would have
 * nothing to select, and a name with one is refused like any other malformed name. Parsing is strict —
 * exact segment count, lower-case hex, a plain decimal size — so two spellings never name one upload.
 */
export const UPLOAD_NAME_FORM = 'uploads/{uuid}/blobs/{64 lower-case hex sha256}/{size in bytes}';
export const DOWNLOAD_NAME_FORM = 'blobs/{64 lower-case hex sha256}/{size in bytes}';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]{64}$/;
const SIZE = /^(0|[1-9][0-9]*)$/;

export function parseUploadName(resourceName: string): UploadName {
  const segments = splitName(resourceName, UPLOAD_NAME_FORM);
  const [uploads, uuid = '', blobs, hex = '', size = ''] = segments;
  if (segments.length !== 5 || uploads !== 'uploads' || blobs !== 'blobs') {
    throw malformed(resourceName, UPLOAD_NAME_FORM, 'it does not have that shape');
  }
  if (!UUID.test(uuid)) {
    throw malformed(resourceName, UPLOAD_NAME_FORM, `"${clip(uuid)}" is not a UUID (8-4-4-4-12 hex digits)`);
  }
  const blob = blobRef(resourceName, UPLOAD_NAME_FORM, hex, size);
  const canonicalUuid = uuid.toLowerCase();
  return { ...blob, uuid: canonicalUuid, name: `uploads/${canonicalUuid}/blobs/${blob.hex}/${blob.size}` };
}

export function parseDownloadName(resourceName: string): BlobRef {
  const segments = splitName(resourceName, DOWNLOAD_NAME_FORM);
  const [blobs, hex = '', size = ''] = segments;
  if (segments.length !== 3 || blobs !== 'blobs') {
    throw malformed(resourceName, DOWNLOAD_NAME_FORM, 'it does not have that shape');
  }
  return blobRef(resourceName, DOWNLOAD_NAME_FORM, hex, size);
}

function splitName(resourceName: string, form: string): string[] {
  if (resourceName === '') throw malformed(resourceName, form, 'it is empty');
  if (resourceName.length > 300) throw malformed(resourceName, form, 'it is too long');
  if (/[\\\0%]/.test(resourceName) || /[^\x21-\x7e]/.test(resourceName)) {
    throw malformed(resourceName, form, 'it contains characters no resource name has');
  }
  const segments = resourceName.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.') || resourceName.startsWith('/')) {
    throw malformed(resourceName, form, 'path segments such as "..", "." or a leading "/" are not allowed');
  }
  if (segments.some((segment) => segment === ''))
    throw malformed(resourceName, form, 'it has an empty segment');
  return segments;
}

function blobRef(resourceName: string, form: string, hex: string, size: string): BlobRef {
  if (!HEX.test(hex)) {
    const reason = /^[0-9a-fA-F]{64}$/.test(hex)
      ? 'the digest has upper-case hex; write it in lower case'
      : `the digest "${clip(hex)}" is not 64 hex characters (it has ${hex.length})`;
    throw malformed(resourceName, form, reason);
  }
  if (!SIZE.test(size)) {
    throw malformed(resourceName, form, `the size "${clip(size)}" is not a non-negative decimal integer`);
  }
  const bytes = Number(size);
  if (!Number.isSafeInteger(bytes))
    throw malformed(resourceName, form, `the size ${clip(size)} is too large`);
  return { hex, size: bytes };
}

function malformed(resourceName: string, form: string, reason: string): CairnError {
  return new CairnError(
    Code.InvalidArgument,
    `resource name "${clip(resourceName)}" is malformed: ${reason}; expected ${form}`,
    { details: { reason: 'bad_resource_name' } },
  );
}

function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 120 ? `${printable.slice(0, 117)}...` : printable;
}
