import { CairnError, Code } from '@cairn/errors';
import {
  type Bundle,
  bundleFromJSON,
  isBundleWithDsseEnvelope,
  isBundleWithPublicKey,
} from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, VerificationError, Verifier } from '@sigstore/verify';
import { BUNDLE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE } from './bundle-format.js';
import { isJsonObject, quote } from './json-formats.js';
import type { PublicKey } from './keys.js';
import { decodeUtf8 } from './material-content.js';
import { isCanonicalBase64, type Statement, statementProblem } from './statement.js';

export interface VerifyOptions {
  /** How messages name the bundle, e.g. its file name or digest. */
  readonly bundleName?: string;
}

// No certificate authority, transparency log or timestamp authority: Cairn's bundles are signed offline
// with a key, and the key given to verifyBundle is the only trust.
const NO_AUTHORITIES = TrustedRoot.fromJSON({
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
});

/**
 * Verifies an attestation bundle with a public key and returns its statement. Checks, in order: the bytes
 * are a Sigstore bundle v0.3 holding one DSSE envelope and a public-key hint (INVALID_ARGUMENT otherwise);
 * the hint names this key (DATA_LOSS saying which key signed it); the signature verifies with the key
 * (DATA_LOSS); the payload is an in-toto statement with Cairn's predicate (INVALID_ARGUMENT). The
 * materials themselves are the caller's to fetch and hash (see `materialsToCheck`).
 */
export function verifyBundle(
  bundleBytes: Uint8Array | string,
  publicKey: PublicKey,
  options: VerifyOptions = {},
): Statement {
  const name = options.bundleName ?? 'the bundle';
  const notABundle = (why: string, reason = 'not_a_bundle') =>
    new CairnError(Code.InvalidArgument, `${name} is not a Cairn attestation bundle: ${why}`, {
      details: { reason },
    });

  const text = typeof bundleBytes === 'string' ? bundleBytes : decodeUtf8(bundleBytes);
  if (text === undefined) throw notABundle('it is not UTF-8 JSON');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw notABundle('it is not JSON');
  }
  const shape = shapeProblem(json);
  if (shape !== undefined) throw notABundle(shape);

  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    const fields = (error as { fields?: unknown }).fields;
    throw notABundle(
      `@sigstore/bundle refuses it (${Array.isArray(fields) ? fields.join(', ') : 'invalid bundle'})`,
    );
  }
  if (bundle.mediaType !== BUNDLE_MEDIA_TYPE) {
    throw notABundle(`its mediaType is ${quote(bundle.mediaType, 100)}, not ${BUNDLE_MEDIA_TYPE}`);
  }
  if (!isBundleWithDsseEnvelope(bundle) || !isBundleWithPublicKey(bundle)) {
    throw notABundle('it must hold a DSSE envelope and a public-key hint');
  }

  // A hint or key id is at most 64 hex characters in a Cairn bundle; quoting 100 shows any real one whole.
  const hint = bundle.verificationMaterial.content.publicKey.hint;
  const keyid = bundle.content.dsseEnvelope.signatures[0]?.keyid ?? '';
  if (keyid !== '' && keyid !== hint) {
    throw new CairnError(
      Code.DataLoss,
      `${name} names two keys, ${quote(hint, 100)} in its verification material and ${quote(keyid, 100)} in its ` +
        'envelope: it was changed after it was signed',
      { details: { reason: 'key_mismatch' } },
    );
  }
  if (hint !== publicKey.hint) {
    throw new CairnError(
      Code.DataLoss,
      `${name} was not signed by ${publicKey.name} (key hint ${publicKey.hint}) but by the key with hint ` +
        `${quote(hint, 100)}; verify it with that public key`,
      { details: { reason: 'wrong_key' } },
    );
  }

  const verifier = new Verifier(
    toTrustMaterial(NO_AUTHORITIES, (requested) => {
      if (requested !== publicKey.hint) {
        throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: `no key with hint ${requested}` });
      }
      return { publicKey: publicKey.key, validFor: () => true };
    }),
    { tlogThreshold: 0, ctlogThreshold: 0, tsaThreshold: 0 },
  );
  try {
    verifier.verify(toSignedEntity(bundle));
  } catch (error) {
    if (error instanceof VerificationError && error.code === 'SIGNATURE_ERROR') {
      throw new CairnError(
        Code.DataLoss,
        `the signature of ${name} does not verify with ${publicKey.name}: the bundle or the key is not the one that signed it`,
        { details: { reason: 'bad_signature' } },
      );
    }
    throw new CairnError(
      Code.DataLoss,
      `${name} does not verify with ${publicKey.name}: ${(error as Error).message}`,
      {
        details: { reason: 'verification_failed' },
      },
    );
  }

  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw notABundle(
      `its payloadType is ${quote(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
      'not_a_statement',
    );
  }
  const payload = decodeUtf8(envelope.payload);
  let statement: unknown;
  try {
    statement = payload === undefined ? undefined : JSON.parse(payload);
  } catch {
    statement = undefined;
  }
  if (statement === undefined) throw notABundle('its payload is not JSON', 'not_a_statement');
  const problem = statementProblem(statement);
  if (problem !== undefined) throw notABundle(`its statement is not Cairn's: ${problem}`, 'not_a_statement');
  return statement as Statement;
}

// A strict reading of the bundle's JSON before @sigstore/bundle sees it. Protobuf JSON parsing is lenient:
// it ignores unknown fields, coerces types and skips characters that are not base64, so a bundle could be
// changed and still parse to the same content. Cairn names a bundle by the sha256 of its bytes; with this
// check, a bundle whose bytes were changed anywhere fails verification instead of verifying as another
// bundle. Only what a key-signed, offline v0.3 DSSE bundle holds is accepted.
function shapeProblem(json: unknown): string | undefined {
  if (!isJsonObject(json)) return 'it is not a JSON object';
  const top = unknownField(json, ['mediaType', 'verificationMaterial', 'dsseEnvelope'], '');
  if (top !== undefined) return top;
  if (typeof json.mediaType !== 'string') return '"mediaType" must be a string';

  const material = json.verificationMaterial;
  if (!isJsonObject(material)) return '"verificationMaterial" must be an object';
  const materialField = unknownField(
    material,
    ['publicKey', 'tlogEntries', 'timestampVerificationData'],
    'verificationMaterial.',
  );
  if (materialField !== undefined) {
    return `${materialField}; Cairn verifies bundles signed with a key, without certificates`;
  }
  const key = material.publicKey;
  if (!isJsonObject(key) || typeof key.hint !== 'string' || Object.keys(key).length !== 1) {
    return '"verificationMaterial.publicKey" must hold only a "hint" string';
  }
  if (material.tlogEntries !== undefined && !isEmptyArray(material.tlogEntries)) {
    return '"verificationMaterial.tlogEntries" must be empty: Cairn signs offline, without a transparency log';
  }
  const timestamps = material.timestampVerificationData;
  if (timestamps !== undefined) {
    if (!isJsonObject(timestamps))
      return '"verificationMaterial.timestampVerificationData" must be an object';
    const field = unknownField(
      timestamps,
      ['rfc3161Timestamps'],
      'verificationMaterial.timestampVerificationData.',
    );
    if (field !== undefined) return field;
    if (timestamps.rfc3161Timestamps !== undefined && !isEmptyArray(timestamps.rfc3161Timestamps)) {
      return '"verificationMaterial.timestampVerificationData.rfc3161Timestamps" must be empty: Cairn signs offline';
    }
  }

  const envelope = json.dsseEnvelope;
  if (!isJsonObject(envelope)) return '"dsseEnvelope" must be an object';
  const envelopeField = unknownField(envelope, ['payload', 'payloadType', 'signatures'], 'dsseEnvelope.');
  if (envelopeField !== undefined) return envelopeField;
  if (typeof envelope.payloadType !== 'string') return '"dsseEnvelope.payloadType" must be a string';
  if (typeof envelope.payload !== 'string' || !isCanonicalBase64(envelope.payload)) {
    return '"dsseEnvelope.payload" must be standard base64';
  }
  const signatures = envelope.signatures;
  if (!Array.isArray(signatures) || signatures.length !== 1)
    return '"dsseEnvelope.signatures" must hold one signature';
  const [signature] = signatures;
  if (!isJsonObject(signature)) return '"dsseEnvelope.signatures[0]" must be an object';
  const signatureField = unknownField(signature, ['sig', 'keyid'], 'dsseEnvelope.signatures[0].');
  if (signatureField !== undefined) return signatureField;
  if (typeof signature.sig !== 'string' || !isCanonicalBase64(signature.sig)) {
    return '"dsseEnvelope.signatures[0].sig" must be standard base64';
  }
  if (signature.keyid !== undefined && typeof signature.keyid !== 'string') {
    return '"dsseEnvelope.signatures[0].keyid" must be a string';
  }
  return undefined;
}

function unknownField(
  object: Record<string, unknown>,
  allowed: readonly string[],
  prefix: string,
): string | undefined {
  const unknown = Object.keys(object).find((key) => !allowed.includes(key));
  return unknown === undefined ? undefined : `it has an unexpected field "${prefix}${unknown}"`;
}

function isEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}
