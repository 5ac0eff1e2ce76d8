import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, keyHint, loadPrivateKey, loadPublicKey } from './keys.js';

const run = promisify(execFile);

function refusal(action: () => unknown): CairnError {
  try {
    action();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('no error');
}

const PASSPHRASE = 'correct horse battery staple 7f3a';

/** A PEM block around `body`: a well-formed frame with nothing readable inside, made here, never stored. */
function armored(label: string, body: string): string {
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

describe('generateKeyPair', () => {
  it('makes a P-256 pair as PKCS#8 and SPKI PEM that load back', async () => {
    const pair = await generateKeyPair();
    expect(pair.algorithm).toBe('ecdsa-p256');
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const key = loadPrivateKey(pair.privateKeyPem, { name: 'key.pem' });
    expect(key.algorithm).toBe('ecdsa-p256');
    expect(key.publicKey.pem).toBe(pair.publicKeyPem);
    expect(key.publicKey.hint).toBe(pair.hint);
    expect(loadPublicKey(pair.publicKeyPem).hint).toBe(pair.hint);
  });

  it('makes an Ed25519 pair when asked', async () => {
    const pair = await generateKeyPair({ algorithm: 'ed25519' });
    expect(loadPrivateKey(pair.privateKeyPem).algorithm).toBe('ed25519');
    expect(loadPublicKey(Buffer.from(pair.publicKeyPem)).algorithm).toBe('ed25519');
  });

  it('encrypts the private key with a passphrase', async () => {
    const pair = await generateKeyPair({ passphrase: PASSPHRASE });
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(loadPrivateKey(pair.privateKeyPem, { passphrase: PASSPHRASE }).publicKey.hint).toBe(pair.hint);
  });
});

describe('keyHint', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cairn-hint-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('is the sha256 of the SPKI DER, as openssl computes it', async () => {
    for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
      const pair = await generateKeyPair({ algorithm });
      const path = join(directory, `${algorithm}.pub.pem`);
      await writeFile(path, pair.publicKeyPem);
      const der = await run('openssl', ['pkey', '-pubin', '-in', path, '-outform', 'DER'], {
        encoding: 'buffer',
      });
      const expected = createHash('sha256').update(der.stdout).digest('hex');
      expect(pair.hint).toBe(expected);
      expect(keyHint(loadPublicKey(pair.publicKeyPem))).toBe(expected);
      expect(keyHint(loadPublicKey(pair.publicKeyPem).key)).toBe(expected);
    }
  });
});

describe('loadPrivateKey refuses what cannot sign an attestation', () => {
  it('an encrypted key without its passphrase, naming the variable to set', async () => {
    const pair = await generateKeyPair({ passphrase: PASSPHRASE });
    for (const passphrase of [undefined, '']) {
      const error = refusal(() =>
        loadPrivateKey(pair.privateKeyPem, {
          name: 'key.pem',
          passphraseVariable: 'MY_KEY_PASSPHRASE',
          ...(passphrase === undefined ? {} : { passphrase }),
        }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.message).toBe('key.pem is encrypted: set MY_KEY_PASSPHRASE to its passphrase');
      expect(error.details.reason).toBe('passphrase_required');
    }
    expect(refusal(() => loadPrivateKey(pair.privateKeyPem)).message).toContain(
      'set CAIRN_SIGNING_KEY_PASSPHRASE',
    );
  });

  it('a wrong passphrase, without echoing it or the key (PKCS#8 and SEC1 PEM)', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encrypted = [
      pair.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }),
      pair.privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: PASSPHRASE }),
    ].map(String);
    for (const pem of encrypted) {
      const wrong = 'hunter2-wrong-passphrase';
      const error = refusal(() => loadPrivateKey(pem, { name: 'key.pem', passphrase: wrong }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.message).toBe(
        'key.pem could not be decrypted: the passphrase in CAIRN_SIGNING_KEY_PASSPHRASE is not its passphrase',
      );
      const everything = `${String(error)} ${JSON.stringify(error.details)} ${String(error.cause)} ${error.stack}`;
      expect(everything).not.toContain(wrong);
      const body = pem.split('\n').filter((line) => /^[A-Za-z0-9+/=]{40,}$/.test(line));
      expect(body.length).toBeGreaterThan(0);
      for (const line of body) expect(everything).not.toContain(line);
      expect(loadPrivateKey(pem, { passphrase: PASSPHRASE }).algorithm).toBe('ecdsa-p256');
    }
  });

  it('keys of other types, saying what is accepted', () => {
    const cases: Array<[string, string]> = [
      [
        String(
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }),
        ),
        'key.pem is an RSA key; Cairn signs attestations with ECDSA P-256 or Ed25519 keys',
      ],
      [
        String(
          generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }),
        ),
        'key.pem is an EC key on secp384r1; Cairn signs attestations with ECDSA P-256 or Ed25519 keys',
      ],
      [
        String(generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' })),
        'key.pem is an X25519 key (for key agreement, not signing); Cairn signs',
      ],
    ];
    for (const [pem, message] of cases) {
      const error = refusal(() => loadPrivateKey(pem, { name: 'key.pem' }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.message).toContain(message);
      expect(error.message).toContain("('cairn keys generate' makes one)");
    }
  });

  it('a public key, a certificate-less file and garbage', async () => {
    const pair = await generateKeyPair();
    expect(refusal(() => loadPrivateKey(pair.publicKeyPem, { name: 'key.pem' })).message).toBe(
      'key.pem holds a public key; signing needs the private key',
    );
    expect(refusal(() => loadPrivateKey('hello', { name: 'key.pem' })).message).toBe(
      'key.pem is not a PEM private key',
    );
    expect(refusal(() => loadPrivateKey(armored('PRIVATE KEY', 'AAAA'), { name: 'k' })).message).toBe(
      'k is not a readable PEM private key',
    );
  });
});

describe('loadPublicKey refuses what cannot verify an attestation', () => {
  it('a private key, keeping it out of verification', async () => {
    const pair = await generateKeyPair();
    const error = refusal(() => loadPublicKey(pair.privateKeyPem, { name: 'pub.pem' }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toBe(
      'pub.pem holds a private key; verify with its public key (keep the private key out of verification)',
    );
  });

  it('other key types and garbage', () => {
    const rsa = String(
      generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    expect(refusal(() => loadPublicKey(rsa, { name: 'pub.pem' })).message).toContain('pub.pem is an RSA key');
    expect(refusal(() => loadPublicKey('nope', { name: 'pub.pem' })).message).toBe(
      'pub.pem is not a PEM public key (SPKI)',
    );
    expect(refusal(() => loadPublicKey(armored('PUBLIC KEY', 'AAAA'), { name: 'pub.pem' })).message).toBe(
      'pub.pem is not a readable PEM public key',
    );
  });
});
