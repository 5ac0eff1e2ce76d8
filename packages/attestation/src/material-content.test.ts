import { afterEach, describe, expect, it, vi } from 'vitest';
import { detectKind } from './detect.js';
import { MaterialContent } from './material-content.js';
import { bytes, cycloneDx } from './testing/fixtures.js';
import { validateMaterial } from './validate.js';

describe('MaterialContent', () => {
  afterEach(() => vi.restoreAllMocks());

  it('lets detection and validation share one parse of a JSON material', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const content = new MaterialContent(bytes(cycloneDx()));
    const kind = detectKind(content, 'sbom.json');
    validateMaterial(kind, content, { name: 'sbom.json' });
    expect(kind).toBe('SBOM_CYCLONEDX_JSON');
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('gives the same answers as the bytes themselves, refusals included', () => {
    const broken = bytes({ bomFormat: 'SPDX', specVersion: '1.6' });
    const fromBytes = () => validateMaterial('SBOM_CYCLONEDX_JSON', broken, { name: 'x' });
    const fromContent = () =>
      validateMaterial('SBOM_CYCLONEDX_JSON', new MaterialContent(broken), { name: 'x' });
    expect(fromBytes).toThrow(/x is not a CycloneDX SBOM/);
    expect(fromContent).toThrow(/x is not a CycloneDX SBOM/);
    const binary = new MaterialContent(Uint8Array.of(0xff, 0xfe, 0x00));
    expect(binary.text).toBeUndefined();
    expect(detectKind(binary, 'x.bin')).toBe('ARTIFACT');
  });
});
