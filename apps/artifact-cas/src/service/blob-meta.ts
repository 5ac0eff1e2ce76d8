import type { BlobMeta } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';

const MAX_NAME = 255;
const MEDIA_TYPE = /^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*(\s*;\s*[\w.+-]+=("[^"\\]*"|[\w.+-]+))*$/;

/**
 * A blob's file name and media type as a client declares them (gRPC metadata `cairn-filename` and
 * `cairn-media-type`, HTTP `X-Cairn-Filename` or `?filename=` and `Content-Type`). A file name is a base
 * name: separators, "." and "..", and control characters are refused so it can never be used as a path.
 */
export function blobMetaFrom(fileName: string | undefined, mediaType: string | undefined): BlobMeta {
  const meta: { fileName?: string; mediaType?: string } = {};
  if (fileName !== undefined && fileName !== '') meta.fileName = checkFileName(fileName);
  if (mediaType !== undefined && mediaType !== '') {
    if (mediaType.length > 255 || !MEDIA_TYPE.test(mediaType)) {
      throw new CairnError(
        Code.InvalidArgument,
        'the media type is not of the form type/subtype, e.g. application/json',
      );
    }
    meta.mediaType = mediaType;
  }
  return meta;
}

function checkFileName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here.
  if (name.length > MAX_NAME || /[/\\\u0000-\u001f\u007f]/.test(name) || name === '.' || name === '..') {
    throw new CairnError(
      Code.InvalidArgument,
      `the file name must be a plain name of at most ${MAX_NAME} characters without "/", "\\" or control characters, such as sbom.json`,
      { details: { reason: 'bad_file_name' } },
    );
  }
  return name;
}
