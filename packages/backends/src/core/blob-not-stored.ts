import { CairnError, Code } from '@cairn/errors';

/** NOT_FOUND for a blob this backend does not hold, as the verifying layer and the drivers answer it. */
export function blobNotStored(hex: string): CairnError {
  return new CairnError(Code.NotFound, `blob sha256:${hex} is not stored in this backend; upload it first`);
}
