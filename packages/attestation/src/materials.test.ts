import { createHash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { checkInlineMaterial, checkMaterialContent, inlineMaterial, materialsToCheck } from './materials.js';
import { buildStatement, type PredicateMaterial } from './statement.js';
import { bytes, cycloneDx } from './testing/fixtures.js';
import { BACKEND, SHA_A, SHA_B, statementInput } from './testing/run.js';

const sha256 = (content: Uint8Array | string) =>
  `sha256:${createHash('sha256').update(content).digest('hex')}`;

async function caught(action: () => unknown): Promise<CairnError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('no error');
}

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('materialsToCheck', () => {
  it('lists every material with its digest, size and where it is', () => {
    const sbom = bytes(cycloneDx());
    expect(materialsToCheck(buildStatement(statementInput()))).toEqual([
      {
        name: 'binary',
        kind: 'ARTIFACT',
        digest: `sha256:${SHA_A}`,
        size: 1048576,
        location: { backend: BACKEND },
      },
      {
        name: 'image',
        kind: 'CONTAINER_IMAGE',
        digest: `sha256:${SHA_B}`,
        size: 1234,
        location: { image: { reference: `ghcr.io/acme/api:1.2.0@sha256:${SHA_B}` } },
      },
      {
        name: 'sbom',
        kind: 'SBOM_CYCLONEDX_JSON',
        digest: sha256(sbom),
        size: sbom.byteLength,
        location: { inline: sbom.toString('base64') },
      },
      { name: 'git-tag', kind: 'STRING', digest: sha256('v1.2.0'), size: 6, location: { inline: 'v1.2.0' } },
    ]);
  });
});

describe('checkInlineMaterial', () => {
  const [, , sbom, tag] = materialsToCheck(buildStatement(statementInput()));

  it('returns the bytes of inline materials after hashing them', () => {
    expect(checkInlineMaterial(sbom as PredicateMaterial)).toEqual(bytes(cycloneDx()));
    expect(checkInlineMaterial(tag as PredicateMaterial).toString('utf8')).toBe('v1.2.0');
  });

  it('is DATA_LOSS naming the material when the content does not match', async () => {
    const changed = { ...(tag as PredicateMaterial), location: { inline: 'v1.2.1' } };
    const error = await caught(() => checkInlineMaterial(changed));
    expect(error.code).toBe(Code.DataLoss);
    expect(error.message).toBe(
      `material "git-tag" does not match the attestation: its content is 6 bytes with digest ${sha256('v1.2.1')}, ` +
        `the attestation names 6 bytes with digest ${sha256('v1.2.0')}; the material was changed after it was attested`,
    );
  });

  it('refuses a material that is not inline', async () => {
    const [binary] = materialsToCheck(buildStatement(statementInput()));
    const error = await caught(() => checkInlineMaterial(binary as PredicateMaterial));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toContain('material "binary" is not inline');
  });
});

describe('checkMaterialContent', () => {
  const material = inlineMaterial({ name: 'log', kind: 'ARTIFACT', content: 'hello world' });

  it('accepts matching bytes, whole or streamed', async () => {
    await checkMaterialContent(material, Buffer.from('hello world'));
    await checkMaterialContent(material, chunks('hello', ' ', 'world'));
  });

  it('is DATA_LOSS when one byte differs, or the size does', async () => {
    expect((await caught(() => checkMaterialContent(material, chunks('hello', ' ', 'World')))).code).toBe(
      Code.DataLoss,
    );
    const longer = await caught(() => checkMaterialContent(material, Buffer.from('hello world!')));
    expect(longer.code).toBe(Code.DataLoss);
    expect(longer.message).toContain('its content is 12 bytes');
  });

  it('stops reading when its signal aborts', async () => {
    const controller = new AbortController();
    async function* slow(): AsyncIterable<Uint8Array> {
      yield Buffer.from('hello');
      controller.abort(new Error('stop'));
      yield Buffer.from(' world');
    }
    await expect(checkMaterialContent(material, slow(), { signal: controller.signal })).rejects.toThrow(
      'stop',
    );
  });
});

describe('inlineMaterial', () => {
  it('computes digest and size, keeping a STRING as text and other bytes as base64', () => {
    expect(inlineMaterial({ name: 's', kind: 'STRING', content: 'é' })).toEqual({
      name: 's',
      kind: 'STRING',
      digest: sha256(Buffer.from('é')),
      size: 2,
      annotations: {},
      location: { inline: 'é' },
    });
    expect(
      inlineMaterial({ name: 'b', kind: 'ARTIFACT', content: Buffer.from([1, 2]), annotations: { a: 'b' } }),
    ).toEqual({
      name: 'b',
      kind: 'ARTIFACT',
      digest: sha256(Buffer.from([1, 2])),
      size: 2,
      annotations: { a: 'b' },
      location: { inline: 'AQI=' },
    });
  });

  it('refuses an image, and a STRING given as bytes', async () => {
    expect(
      (await caught(() => inlineMaterial({ name: 'i', kind: 'CONTAINER_IMAGE', content: 'alpine' }))).code,
    ).toBe(Code.InvalidArgument);
    expect(
      (await caught(() => inlineMaterial({ name: 's', kind: 'STRING', content: Buffer.from('x') }))).message,
    ).toBe('STRING material "s" must be given as text');
  });
});
