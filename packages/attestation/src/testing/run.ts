// A run as the CLI would hand it to buildStatement: an artifact on a backend, an image, an inline SBOM
// and a string.
import { inlineMaterial } from '../materials.js';
import type { StatementInput } from '../statement.js';
import { bytes, cycloneDx } from './fixtures.js';

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);
export const SHA_C = 'c'.repeat(64);

export const BACKEND = {
  id: '0b6c8d9e-4f7a-4c1b-9d2e-3f4a5b6c7d8e',
  name: 'ci-evidence',
  provider: 'aws-s3',
} as const;

/** A run with an artifact on a backend, an image, an inline SBOM and a string. */
export function statementInput(): StatementInput {
  const sbom = bytes(cycloneDx());
  return {
    run: {
      id: 'c8a5f2a4-1d3b-4e6f-8a9b-0c1d2e3f4a5b',
      workflow: 'build',
      project: 'acme/api',
      runner: {
        type: 'github-actions',
        url: 'https://github.com/acme/api/actions/runs/42',
        revision: 'f00d',
      },
      startedAt: new Date('2026-01-02T03:04:05.000Z'),
      finishedAt: '2026-01-02T03:09:05Z',
      backend: BACKEND,
      fallback: false,
    },
    materials: [
      {
        name: 'binary',
        kind: 'ARTIFACT',
        digest: `sha256:${SHA_A}`,
        size: 1048576,
        fileName: 'api-linux-amd64',
        annotations: { arch: 'amd64' },
        location: { backend: BACKEND },
      },
      {
        name: 'image',
        kind: 'CONTAINER_IMAGE',
        digest: `sha256:${SHA_B}`,
        size: 1234,
        location: { image: { reference: `ghcr.io/acme/api:1.2.0@sha256:${SHA_B}` } },
      },
      inlineMaterial({ name: 'sbom', kind: 'SBOM_CYCLONEDX_JSON', content: sbom, fileName: 'bom.cdx.json' }),
      inlineMaterial({ name: 'git-tag', kind: 'STRING', content: 'v1.2.0' }),
    ],
    annotations: { team: 'platform' },
  };
}
