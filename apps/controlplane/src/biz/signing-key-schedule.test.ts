import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CasGrant, createCasTokenVerifier, generateSigningKey, SigningKeyRing } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import { silentLogger } from '@cairn/observability';
import { createFileSecretStore } from '@cairn/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { SigningKeySchedule } from './signing-key-schedule.js';
import { TokenIssuer } from './token-issuer.js';

const REFRESH_MS = 100;
const GRANT: CasGrant = {
  sub: 'test',
  org: 'org-1',
  role: 'upload',
  backend: { id: 'b', provider: 'filesystem', location: '/srv' },
  secret: '',
  max_bytes: 1024,
};

describe.each(['pglite', 'postgres'] as const)('signing keys on a schedule (%s)', (kind) => {
  let database: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dir = await mkdtemp(join(tmpdir(), 'cairn-keys-'));
  });

  afterAll(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** One control plane's issuer and schedule, as a replica has them, on the shared database and secrets. */
  async function replica(fileKey: Awaited<ReturnType<typeof generateSigningKey>>) {
    const issuer = new TokenIssuer(new SigningKeyRing(fileKey), {
      issuer: 'cairn-test',
      audience: 'cairn-cas',
      lifetimeSeconds: 60,
      recordGraceSeconds: 0,
    });
    const schedule = new SigningKeySchedule({
      store: database.store,
      secrets: createFileSecretStore({ directory: join(dir, 'secrets'), key: secretKey }),
      issuer,
      refreshMs: REFRESH_MS,
      logger: silentLogger,
    });
    await schedule.adopt(fileKey, AbortSignal.timeout(10_000));
    await schedule.refresh(AbortSignal.timeout(10_000));
    return { issuer, schedule };
  }

  const secretKey = randomBytes(32);

  it('rotates on every replica: published before it signs, the old key verifying through the overlap', async () => {
    const first = await generateSigningKey();
    const a = await replica(first);
    // A second replica starting with another file key adopts nothing: the deployment's first key stands.
    const b = await replica(await generateSigningKey());
    expect(b.issuer.ring.active.kid).toBe(first.kid);

    const before = await a.issuer.mint(GRANT);
    const rotation = await a.schedule.rotate({ leadMs: 600, overlapMs: 900 }, AbortSignal.timeout(10_000));
    await b.schedule.refresh(AbortSignal.timeout(10_000));
    for (const { issuer } of [a, b]) {
      // Published everywhere at once, signing nowhere yet.
      expect(
        issuer
          .jwks()
          .keys.map((key) => key.kid)
          .sort(),
      ).toEqual([first.kid, rotation.kid].sort());
      expect(issuer.ring.active.kid).toBe(first.kid);
    }
    expect(rotation.retiring).toEqual([first.kid]);

    await sleep(Math.max(0, rotation.activeFrom.getTime() - Date.now()) + 50);
    await Promise.all([a, b].map(({ schedule }) => schedule.refresh(AbortSignal.timeout(10_000))));
    const after = await b.issuer.mint(GRANT);
    for (const { issuer } of [a, b]) expect(issuer.ring.active.kid).toBe(rotation.kid);
    // A verifier that learnt the JWKS of either replica accepts tokens of both keys.
    const verifier = createCasTokenVerifier({
      issuer: 'cairn-test',
      audience: 'cairn-cas',
      keys: { kind: 'jwks', jwks: a.issuer.jwks() },
    });
    for (const { token } of [before, after]) {
      await expect(
        verifier.verify(token, { role: 'upload' }, AbortSignal.timeout(5_000)),
      ).resolves.toMatchObject({
        sub: 'test',
      });
    }

    await sleep(Math.max(0, rotation.retireAt.getTime() - Date.now()) + 50);
    await Promise.all([a, b].map(({ schedule }) => schedule.refresh(AbortSignal.timeout(10_000))));
    for (const { issuer } of [a, b]) expect(issuer.jwks().keys.map((key) => key.kid)).toEqual([rotation.kid]);
  });

  it('refuses a lead no longer than the refresh, which would sign before every replica published', async () => {
    const { schedule } = await replica(await generateSigningKey());
    const refused = await schedule
      .rotate({ leadMs: REFRESH_MS, overlapMs: 1_000 }, AbortSignal.timeout(10_000))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CairnError);
    expect(refused).toMatchObject({ code: Code.InvalidArgument });
  });

  it('keeps refreshing on its own once started', async () => {
    const started = await replica(await generateSigningKey());
    const other = await replica(await generateSigningKey());
    started.schedule.start();
    try {
      const rotation = await other.schedule.rotate(
        { leadMs: 300, overlapMs: 600 },
        AbortSignal.timeout(10_000),
      );
      await expect
        .poll(() => started.issuer.ring.active.kid, { timeout: 5_000, interval: 50 })
        .toBe(rotation.kid);
    } finally {
      started.schedule.stop();
    }
  });
});
