import { createHash, sign } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, type Signature, type Signer } from '@sigstore/sign';
import { BUNDLE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE } from './bundle-format.js';
import type { SigningKey } from './keys.js';
import { type Statement, statementProblem } from './statement.js';

/** A signed attestation: the bundle's bytes as they are to be stored, and the same bundle parsed. */
export interface SignedBundle {
  /** The bundle's JSON text. Store exactly these bytes: the bundle's identity is their sha256. */
  readonly json: string;
  /** `sha256:<64 hex>` of the UTF-8 bytes of `json`. */
  readonly digest: string;
  readonly bundle: SerializedBundle;
}

/**
 * Signs an in-toto statement with a key and packs it as a Sigstore bundle v0.3: a DSSE envelope
 * (`application/vnd.in-toto+json`) whose verification material is the key's hint. Offline: no
 * transparency log, no timestamp authority, no certificate. INVALID_ARGUMENT for a statement that is
 * not one of Cairn's.
 */
export async function signStatement(statement: Statement, key: SigningKey): Promise<SignedBundle> {
  const problem = statementProblem(statement);
  if (problem !== undefined) {
    throw new CairnError(Code.InvalidArgument, `the statement cannot be signed: ${problem}`, {
      details: { reason: 'invalid_statement' },
    });
  }
  const builder = new DSSEBundleBuilder({ signer: keySigner(key), witnesses: [] });
  const bundle = await builder.create({
    data: Buffer.from(JSON.stringify(statement), 'utf8'),
    type: IN_TOTO_PAYLOAD_TYPE,
  });
  if (bundle.mediaType !== BUNDLE_MEDIA_TYPE) {
    // @sigstore/bundle picks the media type; a change there must not slip into stored bundles unnoticed.
    throw new CairnError(
      Code.Internal,
      `the bundle was built as ${bundle.mediaType}, not ${BUNDLE_MEDIA_TYPE}`,
    );
  }
  const serialized = bundleToJSON(bundle);
  const json = JSON.stringify(serialized);
  return {
    json,
    digest: `sha256:${createHash('sha256').update(json, 'utf8').digest('hex')}`,
    bundle: serialized,
  };
}

// The Signer @sigstore/sign calls with the DSSE pre-authentication encoding. Written here because
// @sigstore/sign only ships a keyless (Fulcio) signer: ECDSA P-256 signs SHA-256 with a DER-encoded
// signature, as DSSE, cosign and `openssl dgst -verify` expect; Ed25519 signs the message itself.
function keySigner(key: SigningKey): Signer {
  return {
    sign: async (data: Buffer): Promise<Signature> => ({
      signature: sign(key.algorithm === 'ecdsa-p256' ? 'sha256' : null, data, key.privateKey),
      key: { $case: 'publicKey', publicKey: key.publicKey.pem, hint: key.publicKey.hint },
    }),
  };
}
