// The bundle checked by verifiers that are not this package's code: openssl (over a DSSE pre-authentication
// encoding built here, by hand, from the envelope) and Debian's python3-securesystemslib (which builds its
// own). A missing tool fails these tests; it never skips them.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyAlgorithm } from './keys.js';
import { type SignedBundle, signStatement } from './sign.js';
import { buildStatement } from './statement.js';
import { ensureDebianPackage } from './testing/debian.js';
import { type TestKey, testKey } from './testing/keys.js';
import { statementInput } from './testing/run.js';

const run = promisify(execFile);

// Debian's interpreter: the python3 first on PATH may be another one, without Debian's packages.
const DEBIAN_PYTHON = '/usr/bin/python3';

interface Envelope {
  payload: string;
  payloadType: string;
  signatures: Array<{ sig: string }>;
}

const envelopeOf = (json: string): Envelope => (JSON.parse(json) as { dsseEnvelope: Envelope }).dsseEnvelope;

/** DSSEv1 <len(type)> <type> <len(body)> <body>, lengths in bytes, as the DSSE specification writes it. */
function preAuthEncoding(envelope: Envelope): Buffer {
  const body = Buffer.from(envelope.payload, 'base64');
  const type = Buffer.from(envelope.payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

async function outcome(file: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(file, args);
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof code !== 'number') throw error; // the tool itself is missing: fail
    return { ok: false, output: `${stdout ?? ''}${stderr ?? ''}` };
  }
}

// Verifies the envelope with securesystemslib: decodes it, builds the pre-authentication encoding itself,
// and checks the signature with its SSlibKey (pyca/cryptography underneath).
const SECURESYSTEMSLIB_VERIFY = `
import base64, json, sys
from securesystemslib.signer import SSlibKey, Signature
from securesystemslib.exceptions import UnverifiedSignatureError
bundle_path, algorithm, public = sys.argv[1:4]
bundle = json.load(open(bundle_path))
keyid = bundle["verificationMaterial"]["publicKey"]["hint"]
envelope = bundle["dsseEnvelope"]
body = base64.b64decode(envelope["payload"], validate=True)
payload_type = envelope["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(body), body)
sig = base64.b64decode(envelope["signatures"][0]["sig"], validate=True).hex()
if algorithm == "ecdsa-p256":
    key = SSlibKey(keyid, "ecdsa", "ecdsa-sha2-nistp256", {"public": open(public).read()})
else:
    key = SSlibKey(keyid, "ed25519", "ed25519", {"public": public})
try:
    key.verify_signature(Signature(keyid, sig), pae)
except UnverifiedSignatureError as error:
    # VerificationError (the check could not run) is a subclass: report it, do not take it for a refusal.
    if type(error) is not UnverifiedSignatureError:
        raise
    print("signature NOT verified")
    sys.exit(1)
print("signature verified")
`;

describe.each(['ecdsa-p256', 'ed25519'] as const)(
  'a %s bundle, checked by outside verifiers',
  (algorithm: KeyAlgorithm) => {
    let directory: string;
    let key: TestKey;
    let signed: SignedBundle;
    let tampered: string;

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'cairn-outside-'));
      key = await testKey(algorithm);
      signed = await signStatement(buildStatement(statementInput()), key.signing);
      await writeFile(join(directory, 'pub.pem'), key.pair.publicKeyPem);
      // One byte of the statement changed, the signature kept: every verifier must refuse it.
      const bundle = JSON.parse(signed.json) as { dsseEnvelope: Envelope };
      bundle.dsseEnvelope.payload = Buffer.from(
        Buffer.from(bundle.dsseEnvelope.payload, 'base64')
          .toString('utf8')
          .replace('"size":1048576', '"size":1048577'),
      ).toString('base64');
      tampered = JSON.stringify(bundle);
      expect(tampered).not.toBe(signed.json);
    });

    afterAll(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    async function openssl(json: string): Promise<{ ok: boolean; output: string }> {
      const envelope = envelopeOf(json);
      const pae = join(directory, 'pae.bin');
      const signature = join(directory, 'sig.bin');
      await writeFile(pae, preAuthEncoding(envelope));
      // ECDSA: the signature is already DER, the form openssl reads.
      await writeFile(signature, Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64'));
      const pub = join(directory, 'pub.pem');
      return algorithm === 'ecdsa-p256'
        ? outcome('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', signature, pae])
        : outcome('openssl', [
            'pkeyutl',
            '-verify',
            '-pubin',
            '-inkey',
            pub,
            '-rawin',
            '-in',
            pae,
            '-sigfile',
            signature,
          ]);
    }

    it('openssl verifies the signature over the DSSE pre-authentication encoding', async () => {
      const result = await openssl(signed.json);
      expect(result.output).toMatch(
        algorithm === 'ecdsa-p256' ? /^Verified OK$/m : /^Signature Verified Successfully$/m,
      );
      expect(result.ok).toBe(true);
    });

    it('openssl refuses it when one byte of the statement changed', async () => {
      const result = await openssl(tampered);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/Verification Failure/i);
    });

    describe('python3-securesystemslib (Debian)', () => {
      let publicArgument: string;
      beforeAll(async () => {
        await ensureDebianPackage('python3-securesystemslib');
        publicArgument =
          algorithm === 'ecdsa-p256'
            ? join(directory, 'pub.pem')
            : Buffer.from(key.public.key.export({ format: 'jwk' }).x ?? '', 'base64url').toString('hex');
      }, 900_000);

      async function securesystemslib(json: string): Promise<{ ok: boolean; output: string }> {
        const path = join(directory, 'bundle.json');
        await writeFile(path, json);
        return outcome(DEBIAN_PYTHON, ['-c', SECURESYSTEMSLIB_VERIFY, path, algorithm, publicArgument]);
      }

      it('verifies the envelope', async () => {
        const result = await securesystemslib(signed.json);
        expect(result.output.trim()).toBe('signature verified');
        expect(result.ok).toBe(true);
      });

      it('refuses it when one byte of the statement changed', async () => {
        const result = await securesystemslib(tampered);
        expect(result.output.trim()).toBe('signature NOT verified');
        expect(result.ok).toBe(false);
      });
    });
  },
);
