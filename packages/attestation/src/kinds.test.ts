import { Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { isSubjectKind, MATERIAL_KINDS, parseMaterialKind } from './kinds.js';

describe('material kinds', () => {
  it('reads a kind as a user types it', () => {
    expect(parseMaterialKind('sarif')).toBe('SARIF');
    expect(parseMaterialKind(' SBOM_CycloneDX_JSON ')).toBe('SBOM_CYCLONEDX_JSON');
  });

  it('refuses an unknown kind, listing the kinds', () => {
    expect(() => parseMaterialKind('SBOM')).toThrow(
      expect.objectContaining({
        code: Code.InvalidArgument,
        message: `"SBOM" is not a material kind; use one of ${MATERIAL_KINDS.join(', ')}`,
      }),
    );
  });

  it('takes artifacts and images as what the build produced', () => {
    expect(MATERIAL_KINDS.filter(isSubjectKind)).toEqual(['ARTIFACT', 'CONTAINER_IMAGE']);
  });
});
