// Small documents of every checked format, built in code so no large file is committed. Each is the
// least a real tool writes that still has the structure its format requires.

export const bytes = (value: unknown): Buffer =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value, null, 2), 'utf8');

export function cycloneDx(): Record<string, unknown> {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    version: 1,
    metadata: { timestamp: '2026-01-02T03:04:05Z', component: { type: 'application', name: 'api' } },
    components: [
      { type: 'library', name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' },
      { type: 'library', name: 'zod', version: '3.23.8' },
    ],
    dependencies: [{ ref: 'pkg:npm/left-pad@1.3.0', dependsOn: [] }],
  };
}

export function spdx(): Record<string, unknown> {
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: 'api',
    documentNamespace: 'https://example.com/spdx/api-1.0-4a1b',
    creationInfo: { created: '2026-01-02T03:04:05Z', creators: ['Tool: syft-1.0.0'] },
    packages: [{ SPDXID: 'SPDXRef-Package-left-pad', name: 'left-pad', versionInfo: '1.3.0' }],
    relationships: [
      {
        spdxElementId: 'SPDXRef-DOCUMENT',
        relationshipType: 'DESCRIBES',
        relatedSpdxElement: 'SPDXRef-Package-left-pad',
      },
    ],
  };
}

export function sarif(): Record<string, unknown> {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'semgrep', version: '1.0.0', rules: [] } },
        results: [{ ruleId: 'r1', message: { text: 'x' }, level: 'warning' }],
      },
    ],
  };
}

export function openVex(): Record<string, unknown> {
  return {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://openvex.dev/docs/public/vex-2e67563e',
    author: 'Acme Security',
    timestamp: '2026-01-02T03:04:05Z',
    version: 1,
    statements: [
      {
        vulnerability: { name: 'CVE-2023-12345' },
        products: [{ '@id': 'pkg:oci/api@sha256:abc' }],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
      },
    ],
  };
}

export const junitSuites = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="vitest" tests="2" failures="1">
  <testsuite name="math" tests="2" failures="1">
    <testcase classname="math" name="adds" time="0.001"/>
    <testcase classname="math" name="divides"><failure message="expected 2">at divide.test.ts:3</failure></testcase>
  </testsuite>
</testsuites>
`;

export const junitSuite = `<testsuite name="pytest" tests="1"><testcase name="test_ok"/></testsuite>`;
