import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { detectKind } from './detect.js';
import type { MaterialKind } from './kinds.js';
import { bytes, cycloneDx, junitSuite, junitSuites, openVex, sarif, spdx } from './testing/fixtures.js';
import { validateMaterial } from './validate.js';

describe('detectKind', () => {
  const table: Array<[string, Uint8Array, string, MaterialKind]> = [
    ['CycloneDX JSON', bytes(cycloneDx()), 'sbom.json', 'SBOM_CYCLONEDX_JSON'],
    ['SPDX JSON', bytes(spdx()), 'sbom.json', 'SBOM_SPDX_JSON'],
    ['SARIF', bytes(sarif()), 'results.json', 'SARIF'],
    [
      'SARIF named by its $schema only',
      bytes({ $schema: 'https://x/sarif-2.1.0.json', runs: [] }),
      'r',
      'SARIF',
    ],
    ['OpenVEX', bytes(openVex()), 'vex.json', 'OPENVEX'],
    ['JUnit <testsuites>', bytes(junitSuites), 'report.xml', 'JUNIT_XML'],
    ['JUnit <testsuite> without a declaration', bytes(junitSuite), 'TEST-x.xml', 'JUNIT_XML'],
    ['JUnit after a byte-order mark', bytes(`\ufeff${junitSuites}`), 'r.xml', 'JUNIT_XML'],
    ['JUnit after blank lines, without a declaration', bytes(`\n\n${junitSuite}`), 'r.xml', 'JUNIT_XML'],
    [
      'an XML declaration after blank lines is not well-formed',
      bytes(`\n${junitSuites}`),
      'r.xml',
      'ARTIFACT',
    ],
    ['other JSON object', bytes({ coverage: 0.93 }), 'coverage.json', 'EVIDENCE'],
    ['JSON array', bytes([{ a: 1 }]), 'list.json', 'EVIDENCE'],
    [
      'JSON after a byte-order mark',
      bytes(`\ufeff${JSON.stringify(cycloneDx())}`),
      'bom.json',
      'SBOM_CYCLONEDX_JSON',
    ],
    ['a bare JSON number is not evidence', bytes('42'), 'n.json', 'ARTIFACT'],
    ['broken JSON', bytes('{"bomFormat": "CycloneDX"'), 'bom.json', 'ARTIFACT'],
    ['other XML', bytes('<project><modelVersion>4.0.0</modelVersion></project>'), 'pom.xml', 'ARTIFACT'],
    ['HTML', bytes('<html><body>502</body></html>'), 'report.xml', 'ARTIFACT'],
    ['plain text', bytes('hello\n'), 'notes.txt', 'ARTIFACT'],
    ['binary', randomBytes(2048), 'api-linux-amd64', 'ARTIFACT'],
    ['empty', new Uint8Array(0), 'empty', 'ARTIFACT'],
    // The name decides only where the content claims no format, so validation then says what is wrong.
    ['a .sarif that is not SARIF', bytes({ version: '2.0.0' }), 'scan.sarif', 'SARIF'],
    ['a .cdx.json that is not CycloneDX', bytes({}), 'bom.cdx.json', 'SBOM_CYCLONEDX_JSON'],
    ['a .spdx.json that is not JSON', randomBytes(64), 'bom.spdx.json', 'SBOM_SPDX_JSON'],
    ['an .openvex.json that is not OpenVEX', bytes({}), 'x.openvex.json', 'OPENVEX'],
    ['content beats the name', bytes(spdx()), 'bom.cdx.json', 'SBOM_SPDX_JSON'],
  ];
  it.each(table.map(([name, ...rest]) => [`${name} → ${rest[2]}`, ...rest] as const))(
    '%s',
    (_, content, fileName, kind) => {
      expect(detectKind(content, fileName)).toBe(kind);
    },
  );

  it('does not parse content over the cap: it is an ARTIFACT unless its name says otherwise', () => {
    const document = bytes(cycloneDx());
    expect(detectKind(document, 'bom.json', { maxBytes: document.byteLength - 1 })).toBe('ARTIFACT');
    expect(detectKind(document, 'x.cdx.json', { maxBytes: document.byteLength - 1 })).toBe(
      'SBOM_CYCLONEDX_JSON',
    );
    expect(detectKind(document, 'bom.json', { maxBytes: document.byteLength })).toBe('SBOM_CYCLONEDX_JSON');
  });

  it('detects what a document claims, and validation then refuses a broken claim saying why', () => {
    const broken = bytes({ bomFormat: 'CycloneDX', specVersion: '2.0' });
    const kind = detectKind(broken, 'sbom.json');
    expect(kind).toBe('SBOM_CYCLONEDX_JSON');
    expect(() => validateMaterial(kind, broken, { name: 'sbom.json' })).toThrow(
      'sbom.json is not a CycloneDX SBOM: "specVersion" must be a CycloneDX 1.x version',
    );
  });

  it('detects a kind that every valid fixture then passes validation as', () => {
    for (const document of [cycloneDx(), spdx(), sarif(), openVex(), { any: 'json' }]) {
      const content = bytes(document);
      expect(() => validateMaterial(detectKind(content, 'f.json'), content)).not.toThrow();
    }
  });
});
