import { createHash, sign } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { DSSEBundleBuilder } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeyAlgorithm } from './keys.js';
import { inlineMaterial } from './materials.js';
import { type SignedBundle, signStatement } from './sign.js';
import { buildStatement, type Statement } from './statement.js';
import { type TestKey, testKey } from './testing/keys.js';
import { statementInput } from './testing/run.js';
import { verifyBundle } from './verify.js';

function refusal(action: () => unknown): CairnError {
  try {
    action();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('the bundle verified');
}

// biome-ignore lint/suspicious/noExplicitAny: the tests reach into bundles freely to change them
type Json = Record<string, any>;

const edited = (signed: SignedBundle, change: (bundle: Json) => void): string => {
  const bundle = JSON.parse(signed.json) as Json;
  change(bundle);
  return JSON.stringify(bundle);
};

const flipByte = (base64: string, index: number): string => {
  const bytes = Buffer.from(base64, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64');
};

// Signs any payload with a key the way @sigstore/sign does, for bundles signStatement would never make.
async function signRaw(key: TestKey, payload: Buffer, type: string): Promise<string> {
  const builder = new DSSEBundleBuilder({
    witnesses: [],
    signer: {
      sign: async (data) => ({
        signature: sign(
          key.signing.algorithm === 'ecdsa-p256' ? 'sha256' : null,
          data,
          key.signing.privateKey,
        ),
        key: { $case: 'publicKey', publicKey: key.public.pem, hint: key.public.hint },
      }),
    },
  });
  return JSON.stringify(bundleToJSON(await builder.create({ data: payload, type })));
}

describe.each(['ecdsa-p256', 'ed25519'] as const)('a bundle signed with %s', (algorithm: KeyAlgorithm) => {
  let key: TestKey;
  let statement: Statement;
  let signed: SignedBundle;

  beforeAll(async () => {
    key = await testKey(algorithm);
    statement = buildStatement(statementInput());
    signed = await signStatement(statement, key.signing);
  });

  it('is a Sigstore bundle v0.3 holding a DSSE envelope of the statement and the key hint', () => {
    const bundle = JSON.parse(signed.json) as Json;
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.publicKey).toEqual({ hint: key.public.hint });
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'))).toEqual(
      statement,
    );
    expect(bundle.dsseEnvelope.signatures).toEqual([{ sig: expect.any(String), keyid: key.public.hint }]);
    expect(signed.bundle).toEqual(bundle);
    expect(signed.digest).toBe(
      `sha256:${createHash('sha256').update(Buffer.from(signed.json, 'utf8')).digest('hex')}`,
    );
  });

  it('verifies with its public key and gives back the statement', () => {
    expect(verifyBundle(Buffer.from(signed.json), key.public)).toEqual(statement);
    expect(verifyBundle(signed.json, key.public)).toEqual(statement);
  });

  it('is verified by @sigstore/verify with the key as the only trust', () => {
    const root = TrustedRoot.fromJSON({
      tlogs: [],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    });
    const verifier = new Verifier(
      toTrustMaterial(root, (hint) => {
        expect(hint).toBe(key.public.hint);
        return { publicKey: key.public.key, validFor: () => true };
      }),
      { tlogThreshold: 0, ctlogThreshold: 0, tsaThreshold: 0 },
    );
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(signed.json))));
    expect(signer.key.equals(key.public.key)).toBe(true);
  });

  it('is DATA_LOSS when one byte of the payload changed', () => {
    const payload = (JSON.parse(signed.json) as Json).dsseEnvelope.payload as string;
    for (const index of [0, 100, Buffer.from(payload, 'base64').length - 1]) {
      const error = refusal(() =>
        verifyBundle(
          edited(signed, (bundle) => {
            bundle.dsseEnvelope.payload = flipByte(payload, index);
          }),
          key.public,
          { bundleName: 'bundle.json' },
        ),
      );
      expect(error.code).toBe(Code.DataLoss);
      expect(error.message).toBe(
        'the signature of bundle.json does not verify with pub.pem: the bundle or the key is not the one that signed it',
      );
    }
  });

  it('is DATA_LOSS when one byte of the signature changed', () => {
    const sig = (JSON.parse(signed.json) as Json).dsseEnvelope.signatures[0].sig as string;
    for (const index of [0, 10, Buffer.from(sig, 'base64').length - 1]) {
      const error = refusal(() =>
        verifyBundle(
          edited(signed, (bundle) => {
            bundle.dsseEnvelope.signatures[0].sig = flipByte(sig, index);
          }),
          key.public,
        ),
      );
      expect(error.code).toBe(Code.DataLoss);
      expect(error.details.reason).toBe('bad_signature');
    }
  });

  it('is DATA_LOSS naming the key that signed it when verified with another key', async () => {
    const other = await testKey(algorithm);
    const error = refusal(() =>
      verifyBundle(signed.json, { ...other.public, name: 'other.pem' }, { bundleName: 'bundle.json' }),
    );
    expect(error.code).toBe(Code.DataLoss);
    expect(error.message).toBe(
      `bundle.json was not signed by other.pem (key hint ${other.public.hint}) but by the key with hint "${key.public.hint}"; ` +
        'verify it with that public key',
    );
  });

  it('is DATA_LOSS when the hint is changed to name the verifying key but another key signed', async () => {
    const other = await testKey(algorithm);
    const forged = edited(signed, (bundle) => {
      bundle.verificationMaterial.publicKey.hint = other.public.hint;
      bundle.dsseEnvelope.signatures[0].keyid = other.public.hint;
    });
    expect(refusal(() => verifyBundle(forged, other.public)).details.reason).toBe('bad_signature');
  });

  it('fails whichever single byte of the bundle changes', async () => {
    const small = await signStatement(
      buildStatement({
        ...statementInput(),
        materials: [inlineMaterial({ name: 'tag', kind: 'STRING', content: 'v1' })],
      }),
      key.signing,
    );
    const accepted: string[] = [];
    const codes = new Set<Code>();
    for (let index = 0; index < small.json.length; index += 1) {
      for (const flip of [0x01, 0x20]) {
        const changed = String.fromCharCode(small.json.charCodeAt(index) ^ flip);
        const bundle = small.json.slice(0, index) + changed + small.json.slice(index + 1);
        try {
          verifyBundle(bundle, key.public);
          accepted.push(
            `${index}: ${JSON.stringify(small.json.slice(index - 10, index + 10))} → ${JSON.stringify(changed)}`,
          );
        } catch (error) {
          if (!(error instanceof CairnError)) throw error;
          codes.add(error.code);
        }
      }
    }
    expect(accepted).toEqual([]);
    expect([...codes].sort()).toEqual([Code.InvalidArgument, Code.DataLoss].sort());
  });

  it('refuses bundles validly signed by the key that are not Cairn attestations', async () => {
    const text = await signRaw(key, Buffer.from('hello'), 'text/plain');
    const wrongType = refusal(() => verifyBundle(text, key.public, { bundleName: 'b' }));
    expect(wrongType.code).toBe(Code.InvalidArgument);
    expect(wrongType.message).toBe(
      'b is not a Cairn attestation bundle: its payloadType is "text/plain", not application/vnd.in-toto+json',
    );
    const slsa = { ...statement, predicateType: 'https://slsa.dev/provenance/v1' };
    const other = await signRaw(key, Buffer.from(JSON.stringify(slsa)), 'application/vnd.in-toto+json');
    expect(refusal(() => verifyBundle(other, key.public, { bundleName: 'b' })).message).toBe(
      `b is not a Cairn attestation bundle: its statement is not Cairn's: "predicateType" is "https://slsa.dev/provenance/v1", not Cairn's "https://cairn.dev/attestation/v1"`,
    );
    const notJson = await signRaw(key, Buffer.from('{'), 'application/vnd.in-toto+json');
    expect(refusal(() => verifyBundle(notJson, key.public)).message).toContain('its payload is not JSON');
  });
});

describe('verifyBundle refuses what is not a Cairn bundle, with INVALID_ARGUMENT', () => {
  let key: TestKey;
  let signed: SignedBundle;
  beforeAll(async () => {
    // Ed25519: its 64-byte signature always ends in base64 padding, which one case removes.
    key = await testKey('ed25519');
    signed = await signStatement(buildStatement(statementInput()), key.signing);
  });

  const cases: Array<[string, (signed: SignedBundle) => string | Uint8Array, string]> = [
    ['bytes that are not UTF-8', () => Buffer.from([0xff, 0xfe]), 'it is not UTF-8 JSON'],
    ['text that is not JSON', () => 'hello', 'it is not JSON'],
    ['a JSON array', () => '[]', 'it is not a JSON object'],
    [
      'an in-toto statement alone',
      (s) =>
        JSON.stringify(JSON.parse(Buffer.from(s.bundle.dsseEnvelope?.payload ?? '', 'base64').toString())),
      'it has an unexpected field "_type"',
    ],
    [
      'a v0.2 bundle',
      (s) =>
        edited(s, (b) => {
          b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
        }),
      'its mediaType is "application/vnd.dev.sigstore.bundle+json;version=0.2", not application/vnd.dev.sigstore.bundle.v0.3+json',
    ],
    [
      'a bundle without mediaType',
      (s) =>
        edited(s, (b) => {
          delete b.mediaType;
        }),
      '"mediaType" must be a string',
    ],
    [
      'a message-signature bundle',
      (s) =>
        edited(s, (b) => {
          b.messageSignature = { signature: 'AA==' };
          delete b.dsseEnvelope;
        }),
      'it has an unexpected field "messageSignature"',
    ],
    [
      'a certificate instead of a key hint',
      (s) =>
        edited(s, (b) => {
          b.verificationMaterial = { certificate: { rawBytes: 'AA==' } };
        }),
      'unexpected field "verificationMaterial.certificate"; Cairn verifies bundles signed with a key, without certificates',
    ],
    [
      'a transparency-log entry',
      (s) =>
        edited(s, (b) => {
          b.verificationMaterial.tlogEntries = [{ logIndex: '1' }];
        }),
      '"verificationMaterial.tlogEntries" must be empty',
    ],
    [
      'a timestamp',
      (s) =>
        edited(s, (b) => {
          b.verificationMaterial.timestampVerificationData = {
            rfc3161Timestamps: [{ signedTimestamp: 'AA==' }],
          };
        }),
      'rfc3161Timestamps" must be empty',
    ],
    [
      'two signatures',
      (s) =>
        edited(s, (b) => {
          b.dsseEnvelope.signatures.push(b.dsseEnvelope.signatures[0]);
        }),
      '"dsseEnvelope.signatures" must hold one signature',
    ],
    [
      'a line break in the base64 payload',
      (s) =>
        edited(s, (b) => {
          b.dsseEnvelope.payload = `${b.dsseEnvelope.payload.slice(0, 8)}\n${b.dsseEnvelope.payload.slice(8)}`;
        }),
      '"dsseEnvelope.payload" must be standard base64',
    ],
    [
      'a signature without its base64 padding',
      (s) =>
        edited(s, (b) => {
          b.dsseEnvelope.signatures[0].sig = `${b.dsseEnvelope.signatures[0].sig}`.replace(/=+$/, '');
        }),
      '"dsseEnvelope.signatures[0].sig" must be standard base64',
    ],
    [
      'an extra field in the envelope',
      (s) =>
        edited(s, (b) => {
          b.dsseEnvelope.note = 'x';
        }),
      'unexpected field "dsseEnvelope.note"',
    ],
    [
      'a hint that is not a string',
      (s) =>
        edited(s, (b) => {
          b.verificationMaterial.publicKey.hint = ['x'];
        }),
      '"verificationMaterial.publicKey" must hold only a "hint" string',
    ],
    [
      'an empty payload',
      (s) =>
        edited(s, (b) => {
          b.dsseEnvelope.payload = '';
        }),
      '@sigstore/bundle refuses it (content.dsseEnvelope.payload)',
    ],
  ];
  it.each(cases)('%s', (_, make, message) => {
    const error = refusal(() => verifyBundle(make(signed), key.public, { bundleName: 'bundle.json' }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toMatch(/^bundle\.json is not a Cairn attestation bundle: /);
    expect(error.message).toContain(message);
  });

  it('is DATA_LOSS when the envelope names another key than the hint', () => {
    const changed = edited(signed, (bundle) => {
      bundle.dsseEnvelope.signatures[0].keyid = 'f'.repeat(64);
    });
    const error = refusal(() => verifyBundle(changed, key.public));
    expect(error.code).toBe(Code.DataLoss);
    expect(error.message).toBe(
      `the bundle names two keys, "${key.public.hint}" in its verification material and "${'f'.repeat(64)}" in its ` +
        'envelope: it was changed after it was signed',
    );
  });
});

describe('signStatement', () => {
  it('refuses a statement that is not one of Cairn', async () => {
    const key = await testKey('ed25519');
    const statement = { ...buildStatement(statementInput()), subject: [] };
    await expect(signStatement(statement, key.signing)).rejects.toThrow(
      expect.objectContaining({
        code: Code.InvalidArgument,
        message: 'the statement cannot be signed: "subject" must be a non-empty array',
      }),
    );
  });
});
