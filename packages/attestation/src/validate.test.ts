import { randomBytes } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import type { MaterialKind } from './kinds.js';
import { bytes, cycloneDx, junitSuite, junitSuites, openVex, sarif, spdx } from './testing/fixtures.js';
import { MAX_CHECKED_BYTES, validateMaterial } from './validate.js';

function refusal(kind: MaterialKind, content: Uint8Array, name = 'file'): CairnError {
  try {
    validateMaterial(kind, content, { name });
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error(`${kind} was accepted`);
}

const edit = (document: Record<string, unknown>, change: (doc: Record<string, unknown>) => void) => {
  change(document);
  return bytes(document);
};

describe('validateMaterial accepts valid content of each kind', () => {
  const valid: Array<[MaterialKind, Uint8Array]> = [
    ['ARTIFACT', randomBytes(512)],
    ['STRING', bytes('v1.2.0 — released')],
    ['SBOM_CYCLONEDX_JSON', bytes(cycloneDx())],
    ['SBOM_CYCLONEDX_JSON', bytes({ bomFormat: 'CycloneDX', specVersion: '1.4' })],
    ['SBOM_SPDX_JSON', bytes(spdx())],
    ['SARIF', bytes(sarif())],
    ['OPENVEX', bytes(openVex())],
    [
      'OPENVEX',
      edit(openVex(), (doc) => {
        doc.statements = [{ vulnerability: 'CVE-1', status: 'fixed' }];
      }),
    ],
    ['JUNIT_XML', bytes(junitSuites)],
    ['JUNIT_XML', bytes(junitSuite)],
    ['EVIDENCE', bytes({ anything: ['goes', 1, null] })],
    ['EVIDENCE', bytes([1, 2, 3])],
    ['CONTAINER_IMAGE', bytes('ghcr.io/acme/api:1.2.0')],
  ];
  it.each(valid.map(([kind, content], index) => [index, kind, content] as const))(
    '#%i %s',
    (_, kind, content) => {
      expect(() => validateMaterial(kind, content)).not.toThrow();
    },
  );
});

describe('validateMaterial refuses invalid content, saying why', () => {
  const invalid: Array<[MaterialKind, Uint8Array, string]> = [
    [
      'SBOM_CYCLONEDX_JSON',
      edit(cycloneDx(), (doc) => {
        doc.bomFormat = 'SPDX';
      }),
      'file is not a CycloneDX SBOM: "bomFormat" must be "CycloneDX" (it is "SPDX")',
    ],
    ['SBOM_CYCLONEDX_JSON', bytes(spdx()), '"bomFormat" must be "CycloneDX" (it is missing)'],
    [
      'SBOM_CYCLONEDX_JSON',
      edit(cycloneDx(), (doc) => {
        doc.specVersion = '2.0';
      }),
      '"specVersion" must be a CycloneDX 1.x version such as "1.6" (it is "2.0")',
    ],
    [
      'SBOM_CYCLONEDX_JSON',
      edit(cycloneDx(), (doc) => {
        doc.components = { name: 'x' };
      }),
      '"components" must be an array',
    ],
    [
      'SBOM_CYCLONEDX_JSON',
      edit(cycloneDx(), (doc) => {
        doc.components = [{ type: 'library', name: 'a' }, { type: 'library' }];
      }),
      '"components[1].name" must be a non-empty string (it is missing)',
    ],
    [
      'SBOM_CYCLONEDX_JSON',
      edit(cycloneDx(), (doc) => {
        doc.version = 0;
      }),
      '"version" must be an integer of at least 1',
    ],
    [
      'SBOM_CYCLONEDX_JSON',
      edit(cycloneDx(), (doc) => {
        doc.serialNumber = '42';
      }),
      '"serialNumber" must be a "urn:uuid:…"',
    ],
    [
      'SBOM_CYCLONEDX_JSON',
      bytes('{"bomFormat": "CycloneDX",'),
      'file is not a CycloneDX SBOM: it is not JSON',
    ],
    ['SBOM_CYCLONEDX_JSON', bytes('[]'), 'the document must be a JSON object'],
    [
      'SBOM_SPDX_JSON',
      edit(spdx(), (doc) => {
        doc.spdxVersion = 'SPDX-3.0';
      }),
      '"spdxVersion" must be an SPDX 2.x version',
    ],
    [
      'SBOM_SPDX_JSON',
      edit(spdx(), (doc) => {
        doc.SPDXID = 'SPDXRef-X';
      }),
      '"SPDXID" must be "SPDXRef-DOCUMENT"',
    ],
    [
      'SBOM_SPDX_JSON',
      edit(spdx(), (doc) => {
        delete doc.name;
      }),
      '"name" must be a non-empty string (it is missing)',
    ],
    [
      'SBOM_SPDX_JSON',
      edit(spdx(), (doc) => {
        doc.dataLicense = 'MIT';
      }),
      '"dataLicense" must be "CC0-1.0" (it is "MIT")',
    ],
    [
      'SBOM_SPDX_JSON',
      edit(spdx(), (doc) => {
        doc.documentNamespace = 'not a uri';
      }),
      '"documentNamespace" must be a URI',
    ],
    [
      'SBOM_SPDX_JSON',
      edit(spdx(), (doc) => {
        doc.creationInfo = { created: 'x', creators: [] };
      }),
      '"creationInfo.creators"',
    ],
    [
      'SBOM_SPDX_JSON',
      edit(spdx(), (doc) => {
        doc.packages = [{ SPDXID: 'x' }];
      }),
      '"packages[0].name" must be a non-empty string',
    ],
    [
      'SARIF',
      edit(sarif(), (doc) => {
        doc.version = '2.0.0';
      }),
      'file is not a SARIF log: "version" must be "2.1.0"',
    ],
    [
      'SARIF',
      edit(sarif(), (doc) => {
        delete doc.runs;
      }),
      '"runs" must be an array (it is missing)',
    ],
    [
      'SARIF',
      edit(sarif(), (doc) => {
        doc.runs = [{ tool: {} }];
      }),
      '"runs[0].tool.driver" must be an object',
    ],
    [
      'SARIF',
      edit(sarif(), (doc) => {
        doc.runs = [{ tool: { driver: { name: 'x' } }, results: {} }];
      }),
      '"runs[0].results" must be an array',
    ],
    [
      'OPENVEX',
      edit(openVex(), (doc) => {
        doc['@context'] = 'https://example.com/ns';
      }),
      'file is not an OpenVEX document: "@context" must be an OpenVEX context',
    ],
    [
      'OPENVEX',
      edit(openVex(), (doc) => {
        delete doc.statements;
      }),
      '"statements" must be an array (it is missing)',
    ],
    [
      'OPENVEX',
      edit(openVex(), (doc) => {
        delete doc.author;
      }),
      '"author" must be a non-empty string',
    ],
    [
      'OPENVEX',
      edit(openVex(), (doc) => {
        doc.statements = [{ vulnerability: { name: 'CVE-1' }, status: 'fine' }];
      }),
      '"statements[0].status" must be one of not_affected, affected, fixed, under_investigation (it is "fine")',
    ],
    [
      'OPENVEX',
      edit(openVex(), (doc) => {
        doc.statements = [{ status: 'fixed' }];
      }),
      '"statements[0].vulnerability" must name a vulnerability',
    ],
    [
      'JUNIT_XML',
      bytes(
        '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Gateway Timeout</p></body></html>',
      ),
      'file is not JUnit XML: the root element is <html>, expected <testsuites> or <testsuite>',
    ],
    [
      'JUNIT_XML',
      bytes('<testsuites><testsuite></testsuites>'),
      'file is not JUnit XML: it is not well-formed XML (line 1',
    ],
    ['JUNIT_XML', bytes('{"tests": 3}'), 'it is not well-formed XML'],
    ['JUNIT_XML', bytes(''), 'it is not well-formed XML'],
    [
      'JUNIT_XML',
      bytes('<testsuites/><testsuites/>'),
      'an XML document has one root element, this one has 2',
    ],
    ['EVIDENCE', bytes('not json'), 'file is not a JSON document: it is not JSON'],
    ['STRING', Buffer.from([0xff, 0xfe, 0x00]), 'file is not a string: it is not UTF-8 text'],
    ['SARIF', Buffer.from([0xc3, 0x28]), 'it is not UTF-8 text'],
    ['CONTAINER_IMAGE', bytes('ghcr.io/Acme/API:latest'), 'is not a container image reference'],
  ];
  it.each(invalid.map(([kind, content, message], index) => [index, kind, content, message] as const))(
    '#%i %s',
    (_, kind, content, message) => {
      const error = refusal(kind, content);
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.message).toContain(message);
      expect(error.message).not.toContain('\n');
    },
  );

  it('names the file as the caller gives it, in the words of the design', () => {
    expect(
      refusal(
        'SBOM_CYCLONEDX_JSON',
        edit(cycloneDx(), (doc) => {
          doc.bomFormat = 'x';
        }),
        'sbom.json',
      ).message,
    ).toMatch(/^sbom\.json is not a CycloneDX SBOM: "bomFormat" must be "CycloneDX"/);
    expect(refusal('JUNIT_XML', bytes('<html><body/></html>'), 'report.xml').message).toBe(
      'report.xml is not JUnit XML: the root element is <html>, expected <testsuites> or <testsuite>',
    );
  });

  it('quotes at most 40 characters of the document', () => {
    const message = refusal(
      'SARIF',
      edit(sarif(), (doc) => {
        doc.version = 'x'.repeat(10_000);
      }),
    ).message;
    expect(message.length).toBeLessThan(200);
  });
});

describe('validateMaterial keeps memory bounded', () => {
  it('refuses content over the cap before parsing it, naming the cap', () => {
    const error = refusal('SBOM_CYCLONEDX_JSON', Buffer.alloc(MAX_CHECKED_BYTES + 1, 0x20), 'huge.json');
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.message).toBe(
      'huge.json is 64.0 MiB, more than the 64 MiB Cairn reads to check a CycloneDX SBOM; attach a smaller file',
    );
  });

  it('accepts content at the cap and takes a smaller cap from the caller', () => {
    const document = bytes(sarif());
    expect(() => validateMaterial('SARIF', document, { maxBytes: document.byteLength })).not.toThrow();
    expect(() => validateMaterial('SARIF', document, { maxBytes: document.byteLength - 1 })).toThrow(
      /more than the/,
    );
  });

  it('never parses an ARTIFACT, whatever its size', () => {
    expect(() => validateMaterial('ARTIFACT', Buffer.alloc(1024), { maxBytes: 10 })).not.toThrow();
  });

  it('checks a report whose DOCTYPE is a "billion laughs" at once: nothing inside the root is expanded', () => {
    const laughs = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [<!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ),
      ']>',
      '<testsuites><testsuite name="&lol9;">&lol9;</testsuite></testsuites>',
    ].join('\n');
    const started = performance.now();
    expect(() => validateMaterial('JUNIT_XML', bytes(laughs))).not.toThrow();
    // Expanded, the entities would be 10^9 copies; the bound leaves room for a loaded machine.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
