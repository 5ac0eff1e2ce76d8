import { createHash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { inlineMaterial } from './materials.js';
import {
  buildStatement,
  type MaterialInput,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  type StatementInput,
  statementProblem,
} from './statement.js';
import { bytes, cycloneDx } from './testing/fixtures.js';
import { BACKEND, SHA_A, SHA_B, SHA_C, statementInput } from './testing/run.js';

const sha256 = (content: Uint8Array | string) => createHash('sha256').update(content).digest('hex');

function refusal(input: StatementInput): CairnError {
  try {
    buildStatement(input);
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('the statement was built');
}

describe('buildStatement', () => {
  it('builds an in-toto Statement v1 with Cairn predicate, every field in place', () => {
    const sbom = bytes(cycloneDx());
    expect(buildStatement(statementInput())).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [
        { name: 'api-linux-amd64', digest: { sha256: SHA_A } },
        { name: 'ghcr.io/acme/api', digest: { sha256: SHA_B } },
      ],
      predicateType: 'https://cairn.dev/attestation/v1',
      predicate: {
        run: {
          id: 'c8a5f2a4-1d3b-4e6f-8a9b-0c1d2e3f4a5b',
          workflow: 'build',
          project: 'acme/api',
          runner: {
            type: 'github-actions',
            url: 'https://github.com/acme/api/actions/runs/42',
            revision: 'f00d',
          },
          startedAt: '2026-01-02T03:04:05.000Z',
          finishedAt: '2026-01-02T03:09:05.000Z',
          backend: { id: BACKEND.id, name: 'ci-evidence', provider: 'aws-s3' },
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
            location: { backend: { id: BACKEND.id, name: 'ci-evidence', provider: 'aws-s3' } },
          },
          {
            name: 'image',
            kind: 'CONTAINER_IMAGE',
            digest: `sha256:${SHA_B}`,
            size: 1234,
            annotations: {},
            location: { image: { reference: `ghcr.io/acme/api:1.2.0@sha256:${SHA_B}` } },
          },
          {
            name: 'sbom',
            kind: 'SBOM_CYCLONEDX_JSON',
            digest: `sha256:${sha256(sbom)}`,
            size: sbom.byteLength,
            fileName: 'bom.cdx.json',
            annotations: {},
            location: { inline: sbom.toString('base64') },
          },
          {
            name: 'git-tag',
            kind: 'STRING',
            digest: `sha256:${sha256('v1.2.0')}`,
            size: 6,
            annotations: {},
            location: { inline: 'v1.2.0' },
          },
        ],
        annotations: { team: 'platform' },
      },
    });
    expect(STATEMENT_TYPE).toBe('https://in-toto.io/Statement/v1');
    expect(PREDICATE_TYPE).toBe('https://cairn.dev/attestation/v1');
  });

  it('makes every material a subject when the run produced no artifact or image (in-toto needs one)', () => {
    const input = statementInput();
    const evidenceOnly = {
      ...input,
      materials: input.materials.filter((m) => m.kind !== 'ARTIFACT' && m.kind !== 'CONTAINER_IMAGE'),
    };
    expect(buildStatement(evidenceOnly).subject).toEqual([
      { name: 'bom.cdx.json', digest: { sha256: sha256(bytes(cycloneDx())) } },
      { name: 'git-tag', digest: { sha256: sha256('v1.2.0') } },
    ]);
  });

  it('lists a subject once when two artifacts are the same file', () => {
    const input = statementInput();
    const [binary] = input.materials;
    const again = { ...(binary as MaterialInput), name: 'binary-again' };
    expect(buildStatement({ ...input, materials: [...input.materials, again] }).subject).toHaveLength(2);
  });

  it('signs only the documented fields, whatever else the caller objects carry', () => {
    const input = statementInput();
    const run = { ...input.run, token: 'secret', runner: { ...input.run.runner, password: 'secret' } };
    const materials = input.materials.map((material) => ({ ...material, uploadToken: 'secret' }));
    const withBackend = {
      ...(materials[0] as MaterialInput),
      location: { backend: { ...BACKEND, secret: 'secret' } },
    };
    const statement = buildStatement({ ...input, run, materials: [withBackend, ...materials.slice(1)] });
    expect(JSON.stringify(statement)).not.toContain('secret');
    expect(statement).toEqual(buildStatement(input));
  });

  const bad = (
    change: (
      input: { -readonly [K in keyof StatementInput]: StatementInput[K] } & { materials: MaterialInput[] },
    ) => void,
  ) => {
    const input = statementInput() as StatementInput & { materials: MaterialInput[] };
    const copy = JSON.parse(JSON.stringify(input));
    change(copy);
    return copy as StatementInput;
  };
  const material = (index: number, change: Record<string, unknown>) =>
    bad((input) => {
      Object.assign(input.materials[index] as object, change);
    });

  const refusals: Array<[string, StatementInput, string]> = [
    [
      'no material',
      bad((input) => {
        input.materials = [];
      }),
      'it has no material; add at least one before signing',
    ],
    [
      'two materials with one name',
      material(1, { name: 'binary' }),
      'two materials are named "binary"; material names must be unique',
    ],
    [
      'a digest that is not sha256',
      material(0, { digest: `sha512:${SHA_A}` }),
      '"materials[0] ("binary").digest" must be sha256:<64 lower-case hex>',
    ],
    [
      'an upper-case digest',
      material(0, { digest: `sha256:${SHA_C.toUpperCase()}` }),
      '.digest" must be sha256',
    ],
    [
      'a negative size',
      material(0, { size: -1 }),
      '"materials[0] ("binary").size" must be a whole number of bytes',
    ],
    ['a fractional size', material(0, { size: 1.5 }), '.size" must be a whole number of bytes'],
    ['an unknown kind', material(0, { kind: 'BINARY' }), '.kind" is "BINARY", not a material kind'],
    [
      'a STRING on a backend',
      material(3, { location: { backend: BACKEND } }),
      'is a STRING, which a backend does not hold',
    ],
    [
      'an inline CONTAINER_IMAGE',
      material(1, { location: { inline: 'eA==' } }),
      'is a CONTAINER_IMAGE, which cannot be inline',
    ],
    [
      'an image location for an ARTIFACT',
      material(0, { location: { image: { reference: 'alpine' } } }),
      'is ARTIFACT, not a CONTAINER_IMAGE',
    ],
    [
      'an image reference that does not parse',
      material(1, { location: { image: { reference: 'Not A Ref' } } }),
      'is not a container image reference',
    ],
    [
      'two locations',
      material(0, { location: { backend: BACKEND, inline: 'eA==' } }),
      'must have exactly one of backend, inline or image',
    ],
    [
      'inline bytes that are not base64',
      material(2, { location: { inline: 'not base64!' } }),
      '.location.inline" must be base64',
    ],
    [
      'inline content that does not match its digest',
      material(2, { location: { inline: Buffer.from('{}').toString('base64') } }),
      'the inline content of "sbom" is 2 bytes with digest sha256:',
    ],
    [
      'a STRING whose text does not match its digest',
      material(3, { location: { inline: 'v1.2.1' } }),
      'the inline content of "git-tag" is 6 bytes',
    ],
    [
      'an annotation that is not a string',
      material(0, { annotations: { n: 1 } }),
      '.annotations.n" must be a string',
    ],
    [
      'a backend without a provider',
      material(0, { location: { backend: { id: 'x', name: 'y' } } }),
      '.location.backend.provider" must be a non-empty string',
    ],
    [
      'an empty workflow',
      bad((input) => {
        Object.assign(input.run, { workflow: '' });
      }),
      '"run.workflow" must be a non-empty string',
    ],
    [
      'a start that is no time',
      bad((input) => {
        Object.assign(input.run, { startedAt: 'yesterday' });
      }),
      '"run.startedAt" is not a valid time',
    ],
    [
      'an unknown runner',
      bad((input) => {
        Object.assign(input.run, { runner: { type: 'travis' } });
      }),
      '"run.runner.type" must be one of github-actions',
    ],
    [
      'fallback that is not a boolean',
      bad((input) => {
        Object.assign(input.run, { fallback: 'no' });
      }),
      '"run.fallback" must be true or false',
    ],
    [
      'run annotations that are not strings',
      bad((input) => {
        Object.assign(input, { annotations: { a: ['x'] } });
      }),
      '"annotations.a" must be a string',
    ],
  ];
  it.each(refusals)('refuses %s, naming the field', (_, input, message) => {
    const error = refusal(input);
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toMatch(/^the attestation cannot be built: /);
    expect(error.message).toContain(message);
  });

  it('builds from an inline material whatever it holds, as inlineMaterial computes it', () => {
    const input = statementInput();
    const notes = inlineMaterial({
      name: 'notes',
      kind: 'ARTIFACT',
      content: Buffer.from([0, 255, 1]),
      fileName: 'n.bin',
    });
    expect(buildStatement({ ...input, materials: [notes] }).subject).toEqual([
      { name: 'n.bin', digest: { sha256: sha256(Buffer.from([0, 255, 1])) } },
    ]);
  });
});

describe('statementProblem', () => {
  const statement = () => JSON.parse(JSON.stringify(buildStatement(statementInput())));

  it('accepts what buildStatement builds', () => {
    expect(statementProblem(statement())).toBeUndefined();
  });

  it.each([
    [
      '_type',
      (s: Record<string, unknown>) => {
        s._type = 'https://in-toto.io/Statement/v0.1';
      },
      '"_type" is "https://in-toto.io/Statement/v0.1", not',
    ],
    [
      'predicateType',
      (s: Record<string, unknown>) => {
        s.predicateType = 'https://slsa.dev/provenance/v1';
      },
      `not Cairn's "${PREDICATE_TYPE}"`,
    ],
    [
      'subject',
      (s: Record<string, unknown>) => {
        s.subject = [];
      },
      '"subject" must be a non-empty array',
    ],
    [
      'subject digest',
      (s: Record<string, unknown>) => {
        s.subject = [{ name: 'x', digest: { sha256: 'x' } }];
      },
      '"subject[0].digest.sha256" must be 64 lower-case hex',
    ],
    [
      'predicate',
      (s: Record<string, unknown>) => {
        s.predicate = null;
      },
      '"predicate" must be an object',
    ],
    [
      'predicate material',
      (s: { predicate: { materials: Array<Record<string, unknown>> } }) => {
        (s.predicate.materials[0] as Record<string, unknown>).size = '1';
      },
      '"predicate.materials[0] ("binary").size"',
    ],
  ] as const)('names a wrong %s', (_, change, message) => {
    const value = statement();
    change(value);
    expect(statementProblem(value)).toContain(message);
  });
});
