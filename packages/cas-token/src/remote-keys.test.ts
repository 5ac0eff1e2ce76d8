import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@cairn/errors';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CAS_TOKEN_DEFAULTS } from './constants.js';
import { publicJwks } from './jwks.js';
import { loadOrCreateSigningKey } from './key-file.js';
import { SigningKeyRing } from './key-ring.js';
import type { CasKeySource } from './key-source.js';
import { mintCasToken } from './mint.js';
import { generateSigningKey, type SigningKey } from './signing-key.js';
import { type JwksTestServer, startJwksServer } from './testing/jwks-server.js';
import { expectRefusal } from './testing/refusals.js';
import { downloadGrant, signRaw, validPayload } from './testing/tokens.js';
import { createCasTokenVerifier } from './verify.js';

const expectation = { role: 'download' } as const;

/** A verifier whose clock the test moves, so rate limits and cache ages are exercised without waiting. */
function verifierFor(keys: CasKeySource) {
  const clock = { now: Date.now() };
  const verifier = createCasTokenVerifier({
    issuer: CAS_TOKEN_DEFAULTS.issuer,
    audience: CAS_TOKEN_DEFAULTS.audience,
    keys,
    clock: () => clock.now,
  });
  return { verifier, advance: (ms: number) => (clock.now += ms) };
}

describe('keys from the control plane JWKS over HTTP', () => {
  let first: SigningKey;
  let second: SigningKey;
  let server: JwksTestServer;
  beforeAll(async () => {
    first = await generateSigningKey();
    second = await generateSigningKey();
  });
  beforeEach(async () => {
    server = await startJwksServer(publicJwks(new SigningKeyRing(first)));
  });
  afterEach(async () => {
    await server.close();
  });

  it('fetches the key set once and verifies from the cache', async () => {
    const { verifier } = verifierFor({ kind: 'jwks-url', url: server.url });
    for (let i = 0; i < 3; i += 1) {
      await verifier.verify(await mintCasToken(first, downloadGrant()), expectation);
    }
    expect(server.requestCount).toBe(1);
  });

  it('refetches when a token names an unknown kid', async () => {
    const { verifier, advance } = verifierFor({ kind: 'jwks-url', url: server.url });
    await verifier.verify(await mintCasToken(first, downloadGrant()), expectation);
    server.serve(publicJwks(new SigningKeyRing(first).rotate(second)));
    advance(5_000);
    await expect(
      verifier.verify(await mintCasToken(second, downloadGrant()), expectation),
    ).resolves.toBeDefined();
    expect(server.requestCount).toBe(2);
  });

  it('rotates with overlap: old tokens verify while the old key is published, and fail once it is gone', async () => {
    let ring = new SigningKeyRing(first);
    const { verifier, advance } = verifierFor({ kind: 'jwks-url', url: server.url, maxAgeMs: 60_000 });
    const oldToken = await mintCasToken(ring, downloadGrant());
    await verifier.verify(oldToken, expectation);

    ring = ring.rotate(second);
    server.serve(publicJwks(ring));
    advance(5_000);
    const newToken = await mintCasToken(ring, downloadGrant());
    expect(decodeKid(newToken)).toBe(second.kid);
    await verifier.verify(newToken, expectation);
    await verifier.verify(oldToken, expectation);

    ring = ring.withoutKey(first.kid);
    server.serve(publicJwks(ring));
    // The cached set still holds the old key until it ages out; the reload then runs in the background.
    advance(60_000);
    await vi.waitFor(() =>
      expectRefusal(verifier.verify(oldToken, expectation), oldToken, Code.Unauthenticated, 'kid_unknown'),
    );
    await verifier.verify(newToken, expectation);
  });

  it('shares one fetch among 20 concurrent verifications of a new kid', async () => {
    const { verifier } = verifierFor({ kind: 'jwks-url', url: server.url, minRefreshIntervalMs: 0 });
    await verifier.verify(await mintCasToken(first, downloadGrant()), expectation);
    server.serve(publicJwks(new SigningKeyRing(second)));
    const held = server.hold();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => mintCasToken(second, downloadGrant())));
    const verifications = Promise.all(tokens.map((token) => verifier.verify(token, expectation)));
    await held.arrived;
    await new Promise((resolve) => setImmediate(resolve));
    held.release();
    expect(await verifications).toHaveLength(20);
    expect(server.requestCount).toBe(2);
  });

  it('refetches for unknown kids at most once per interval', async () => {
    const { verifier, advance } = verifierFor({
      kind: 'jwks-url',
      url: server.url,
      minRefreshIntervalMs: 5_000,
    });
    await verifier.verify(await mintCasToken(first, downloadGrant()), expectation);
    const flood = async () => {
      for (let i = 0; i < 25; i += 1) {
        const token = await signRaw(first, validPayload(Date.now() / 1000), { kid: `made-up-${i}` });
        await expectRefusal(verifier.verify(token, expectation), token, Code.Unauthenticated, 'kid_unknown');
      }
    };
    await flood();
    expect(server.requestCount).toBe(1);
    advance(4_999);
    await flood();
    expect(server.requestCount).toBe(1);
    advance(1);
    await flood();
    expect(server.requestCount).toBe(2);
  });

  it('is UNAVAILABLE when the JWKS endpoint is down, and recovers after the interval', async () => {
    server.fail(503);
    const { verifier, advance } = verifierFor({ kind: 'jwks-url', url: server.url });
    const token = await mintCasToken(first, downloadGrant());
    const refusal = await expectRefusal(
      verifier.verify(token, expectation),
      token,
      Code.Unavailable,
      'keys_unavailable',
    );
    expect(refusal.message).toContain('HTTP 503');
    server.serve(publicJwks(new SigningKeyRing(first)));
    await expect(verifier.verify(token, expectation)).rejects.toMatchObject({ code: Code.Unavailable });
    expect(server.requestCount).toBe(1);
    advance(5_000);
    await expect(verifier.verify(token, expectation)).resolves.toBeDefined();
  });

  it('refuses a new kid the same way while the key set cannot be read, saying so, and takes it once it can', async () => {
    const { verifier, advance } = verifierFor({ kind: 'jwks-url', url: server.url });
    const known = await mintCasToken(first, downloadGrant());
    await verifier.verify(known, expectation);
    server.fail(503);
    advance(5_000);
    const rotated = await mintCasToken(second, downloadGrant());
    // The first tries the key set and fails; the next ones are held back by the rate limit.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const refusal = await expectRefusal(
        verifier.verify(rotated, expectation),
        rotated,
        Code.Unauthenticated,
        'kid_unknown',
      );
      expect(refusal.message).toContain('which this CAS does not know, and the key set');
      expect(refusal.message).toContain('could not be read: the control plane');
      expect(refusal.message).toContain('HTTP 503');
    }
    expect(server.requestCount).toBe(2);
    // Tokens of the keys in hand go on verifying.
    await verifier.verify(known, expectation);
    server.serve(publicJwks(new SigningKeyRing(first).rotate(second)));
    advance(5_000);
    await expect(verifier.verify(rotated, expectation)).resolves.toBeDefined();
  });

  it('is UNAVAILABLE when nothing listens at the JWKS URL', async () => {
    await server.close();
    const { verifier } = verifierFor({ kind: 'jwks-url', url: server.url });
    const token = await mintCasToken(first, downloadGrant());
    const refusal = await expectRefusal(
      verifier.verify(token, expectation),
      token,
      Code.Unavailable,
      'keys_unavailable',
    );
    expect(refusal.message).toContain('ECONNREFUSED');
    server = await startJwksServer({});
  });

  it('is UNAVAILABLE when the JWKS endpoint does not answer in time', async () => {
    const held = server.hold();
    const { verifier } = verifierFor({ kind: 'jwks-url', url: server.url, fetchTimeoutMs: 200 });
    const token = await mintCasToken(first, downloadGrant());
    const refusal = await expectRefusal(
      verifier.verify(token, expectation),
      token,
      Code.Unavailable,
      'keys_unavailable',
    );
    expect(refusal.message).toContain('did not answer in time');
    held.release();
  });

  it('is UNAVAILABLE when the endpoint serves something that is not a key set', async () => {
    server.serve({ hello: 'world' });
    const { verifier } = verifierFor({ kind: 'jwks-url', url: server.url });
    const token = await mintCasToken(first, downloadGrant());
    await expectRefusal(verifier.verify(token, expectation), token, Code.Unavailable, 'keys_unavailable');
  });

  it('lets one caller give up on a shared fetch without failing the others', async () => {
    const { verifier } = verifierFor({ kind: 'jwks-url', url: server.url });
    const held = server.hold();
    const token = await mintCasToken(first, downloadGrant());
    const patient = verifier.verify(token, expectation);
    const impatient = new AbortController();
    const hasty = verifier.verify(token, expectation, impatient.signal);
    await held.arrived;
    impatient.abort();
    await expect(hasty).rejects.toMatchObject({ code: Code.Canceled });
    held.release();
    await expect(patient).resolves.toBeDefined();
    expect(server.requestCount).toBe(1);
  });
});

describe('keys from a local file', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cairn-cas-token-keys-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('trusts the development private key file directly, using only its public half', async () => {
    const path = join(directory, '.cairn', 'cas-signing-key.json');
    const key = await loadOrCreateSigningKey(path);
    const { verifier } = verifierFor({ kind: 'key-file', path });
    await expect(
      verifier.verify(await mintCasToken(key, downloadGrant()), expectation),
    ).resolves.toBeDefined();
  });

  it('re-reads a JWKS file when a token names a new kid', async () => {
    const first = await generateSigningKey();
    const second = await generateSigningKey();
    const path = join(directory, 'jwks.json');
    await writeFile(path, JSON.stringify(publicJwks(first)));
    const { verifier, advance } = verifierFor({ kind: 'key-file', path });
    await verifier.verify(await mintCasToken(first, downloadGrant()), expectation);
    await writeFile(path, JSON.stringify(publicJwks(new SigningKeyRing(first).rotate(second))));
    advance(5_000);
    await expect(
      verifier.verify(await mintCasToken(second, downloadGrant()), expectation),
    ).resolves.toBeDefined();
  });

  it('verifies a token it verified before afresh once another key took its kid', async () => {
    const first = await generateSigningKey();
    const second = await generateSigningKey();
    const path = join(directory, 'jwks.json');
    await writeFile(path, JSON.stringify(publicJwks(first)));
    const { verifier } = verifierFor({ kind: 'key-file', path });
    const token = await mintCasToken(first, downloadGrant());
    await verifier.verify(token, expectation);
    await verifier.verify(token, expectation);
    await writeFile(path, JSON.stringify({ keys: [{ ...second.publicJwk, kid: first.kid }] }));
    await verifier.refreshKeys();
    await expectRefusal(
      verifier.verify(token, expectation),
      token,
      Code.Unauthenticated,
      'signature_invalid',
    );
  });

  it('reports a missing key file as FAILED_PRECONDITION', async () => {
    const { verifier } = verifierFor({ kind: 'key-file', path: join(directory, 'absent.json') });
    const token = await mintCasToken(await generateSigningKey(), downloadGrant());
    await expect(verifier.verify(token, expectation)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
    });
  });
});

function decodeKid(token: string): unknown {
  const [header = ''] = token.split('.');
  return JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).kid;
}
