import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect, promisify } from 'node:util';
import { Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, secretStoreContract } from '../testing/secret-store-contract.js';
import { startVaultKv2Double, type VaultKv2Double } from '../testing/vault-kv2-double.js';
import { createVaultSecretStore } from './vault-secret-store.js';

const signal = new AbortController().signal;

describe('VaultSecretStore against a double of Vault KV v2 HTTP API', () => {
  secretStoreContract(async () => {
    const vault = await startVaultKv2Double();
    return {
      store: createVaultSecretStore({ endpoint: vault.endpoint, token: vault.token }),
      credentials: [vault.token],
      close: () => vault.close(),
    };
  });

  describe('Vault specifics (double)', () => {
    let vault: VaultKv2Double;
    const token = `hvs.${randomUUID()}`;
    const readOnlyToken = `hvs.${randomUUID()}`;

    beforeAll(async () => {
      vault = await startVaultKv2Double({
        tokens: [token],
        readOnlyTokens: [readOnlyToken],
        mounts: ['secret', 'kv/team'],
      });
    });
    afterAll(async () => {
      await vault.close();
    });

    it('keeps secrets under <mount>/data/<prefix>/<ref>, writes versions and deletes all of them', async () => {
      const store = createVaultSecretStore({
        endpoint: `${vault.endpoint}/`,
        token,
        mount: 'kv/team',
        prefix: 'cairn/prod',
      });
      const ref = `orgs/${randomUUID()}/backends/b1`;
      await store.put(ref, { a: '1' }, signal);
      await store.rotate(ref, { a: '2' }, signal);
      expect(vault.currentVersion(`cairn/prod/${ref}`, { mount: 'kv/team' })).toBe(2);
      expect(vault.requests.at(-1)).toMatchObject({ method: 'POST', path: `kv/team/data/cairn/prod/${ref}` });
      await store.delete(ref, signal);
      expect(vault.requests.at(-1)).toMatchObject({
        method: 'DELETE',
        path: `kv/team/metadata/cairn/prod/${ref}`,
      });
      expect(vault.currentVersion(`cairn/prod/${ref}`, { mount: 'kv/team' })).toBeUndefined();
    });

    it('sends the namespace and keeps namespaces apart', async () => {
      const ref = randomUUID();
      const teamA = createVaultSecretStore({ endpoint: vault.endpoint, token, namespace: 'team-a' });
      const teamB = createVaultSecretStore({ endpoint: vault.endpoint, token, namespace: 'team-b' });
      await teamA.put(ref, { who: 'a' }, signal);
      expect(vault.requests.at(-1)?.namespace).toBe('team-a');
      await expectCode(teamB.get(ref, signal), Code.NotFound);
      expect(vault.currentVersion(`cairn/${ref}`, { namespace: 'team-a' })).toBe(1);
    });

    it('answers PERMISSION_DENIED for a wrong token and never shows the token', async () => {
      const wrongToken = `hvs.wrong-${randomUUID()}`;
      const store = createVaultSecretStore({ endpoint: vault.endpoint, token: wrongToken });
      for (const call of [
        store.get('x', signal),
        store.put('x', { a: 'b' }, signal),
        store.rotate('x', { a: 'b' }, signal),
        store.delete('x', signal),
      ]) {
        const error = await expectCode(call, Code.PermissionDenied);
        expect(error.message).toContain('policy');
        expect(inspect(error, { depth: 10 })).not.toContain(wrongToken);
      }
    });

    it('answers PERMISSION_DENIED naming the missing capability for a token whose policy is too narrow', async () => {
      const writer = createVaultSecretStore({ endpoint: vault.endpoint, token });
      const reader = createVaultSecretStore({ endpoint: vault.endpoint, token: readOnlyToken });
      const ref = randomUUID();
      await writer.put(ref, { a: 'b' }, signal);
      expect(await reader.get(ref, signal)).toEqual({ a: 'b' });
      const error = await expectCode(reader.rotate(ref, { a: 'c' }, signal), Code.PermissionDenied);
      expect(error.message).toContain('"update" capability');
      await expectCode(reader.delete(ref, signal), Code.PermissionDenied);
    });

    it('answers FAILED_PRECONDITION when no KV v2 engine is mounted at the mount', async () => {
      const store = createVaultSecretStore({ endpoint: vault.endpoint, token, mount: 'nothing-here' });
      const error = await expectCode(store.get('x', signal), Code.FailedPrecondition);
      expect(error.message).toContain('"nothing-here"');
    });

    it('gives up a rotation with ABORTED after ten tries when another writer always changes the secret in between', async () => {
      const ref = randomUUID();
      const dataUrl = `${vault.endpoint}/v1/secret/data/cairn/${ref}`;
      const writeBehindItsBack = () =>
        fetch(dataUrl, {
          method: 'POST',
          headers: { 'x-vault-token': token, 'content-type': 'application/json' },
          body: JSON.stringify({ data: { by: 'rival' } }),
        }).then((response) => response.body?.cancel());
      // Every read the store makes is followed by a rival's write before the store sees the answer, so the
      // version it then checks-and-sets on is always stale.
      const rival = createHttpServer(async (request, response) => {
        const forwarded = await fetch(`${vault.endpoint}${request.url}`, {
          method: request.method ?? 'GET',
          headers: { 'x-vault-token': String(request.headers['x-vault-token']) },
          ...(request.method === 'POST' ? { body: await bodyOf(request) } : {}),
        });
        const body = await forwarded.text();
        if (request.method === 'GET') await writeBehindItsBack();
        response.writeHead(forwarded.status, { 'content-type': 'application/json' }).end(body);
      });
      await new Promise<void>((resolve) => rival.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = rival.address() as AddressInfo;
        const store = createVaultSecretStore({ endpoint: `http://127.0.0.1:${port}`, token });
        await store.put(ref, { by: 'us' }, signal);
        const before = vault.requests.length;
        const error = await expectCode(store.rotate(ref, { by: 'us, again' }, signal), Code.Aborted);
        expect(error.message).toContain('kept changing while it was being rotated');
        const tries = vault.requests.slice(before).filter((seen) => seen.method === 'GET').length;
        expect(tries).toBe(10);
      } finally {
        rival.closeAllConnections();
        await new Promise<void>((resolve) => rival.close(() => resolve()));
      }
    });

    it('answers UNAVAILABLE while Vault is sealed', async () => {
      const store = createVaultSecretStore({ endpoint: vault.endpoint, token });
      vault.setSealed(true);
      try {
        const error = await expectCode(store.get('x', signal), Code.Unavailable);
        expect(error.message).toContain('sealed');
      } finally {
        vault.setSealed(false);
      }
    });

    it('answers FAILED_PRECONDITION for a secret written by another tool that is not a flat map of strings', async () => {
      const ref = randomUUID();
      const response = await fetch(`${vault.endpoint}/v1/secret/data/cairn/${ref}`, {
        method: 'POST',
        headers: { 'x-vault-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { port: 5432 } }),
      });
      expect(response.status).toBe(200);
      const store = createVaultSecretStore({ endpoint: vault.endpoint, token });
      await expectCode(store.get(ref, signal), Code.FailedPrecondition);
      await store.rotate(ref, { port: '5432' }, signal);
      expect(await store.get(ref, signal)).toEqual({ port: '5432' });
    });

    it('works on a mount that requires check-and-set on every write', async () => {
      const strict = await startVaultKv2Double({ casRequired: true });
      try {
        const store = createVaultSecretStore({ endpoint: strict.endpoint, token: strict.token });
        await store.put('strict', { a: '1' }, signal);
        await store.rotate('strict', { a: '2' }, signal);
        await expectCode(store.put('strict', { a: '3' }, signal), Code.AlreadyExists);
        expect(await store.get('strict', signal)).toEqual({ a: '2' });
      } finally {
        await strict.close();
      }
    });
  });

  describe('an unreachable or silent Vault', () => {
    let silent: Server;
    let silentEndpoint: string;
    const sockets = new Set<Socket>();
    const token = `hvs.${randomUUID()}`;

    beforeAll(async () => {
      // Accepts connections and never answers, like a hung Vault or a black-holed network path.
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const address = silent.address();
      silentEndpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('answers UNAVAILABLE naming the endpoint when nothing listens, without the token', async () => {
      const closedPort = await freePort();
      const endpoint = `http://127.0.0.1:${closedPort}`;
      const store = createVaultSecretStore({ endpoint, token });
      const error = await expectCode(store.get('x', signal), Code.Unavailable);
      expect(error.message).toContain(`the secret store at ${endpoint} is unreachable`);
      expect(error.message).toContain('ECONNREFUSED');
      expect(inspect(error, { depth: 10 })).not.toContain(token);
      const writeError = await expectCode(
        store.put('x', { password: 'do-not-leak-me' }, signal),
        Code.Unavailable,
      );
      expect(inspect(writeError, { depth: 10 })).not.toContain('do-not-leak-me');
      expect(inspect(writeError, { depth: 10 })).not.toContain(token);
    });

    it('answers UNAVAILABLE once requestTimeoutMs passes without an answer', async () => {
      const store = createVaultSecretStore({ endpoint: silentEndpoint, token, requestTimeoutMs: 200 });
      const error = await expectCode(store.get('x', signal), Code.Unavailable);
      expect(error.message).toContain('no answer within 200 ms');
      expect(inspect(error, { depth: 10 })).not.toContain(token);
    });

    it('gives up with CANCELED as soon as the signal aborts', async () => {
      const store = createVaultSecretStore({ endpoint: silentEndpoint, token, requestTimeoutMs: 60_000 });
      const controller = new AbortController();
      const pending = store.put('x', { a: 'b' }, controller.signal);
      setTimeout(() => controller.abort(), 50);
      await expectCode(pending, Code.Canceled);
    });
  });

  describe('a Vault whose certificate a private CA signed (double over HTTPS)', () => {
    let vault: VaultKv2Double;
    let certificate: string;

    beforeAll(async () => {
      // A self-signed certificate for 127.0.0.1 is its own CA: trusting it is what caCertificate is for.
      const dir = await mkdtemp(join(tmpdir(), 'cairn-vault-tls-'));
      try {
        await promisify(execFile)('openssl', [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ]);
        certificate = await readFile(join(dir, 'cert.pem'), 'utf8');
        const key = await readFile(join(dir, 'key.pem'), 'utf8');
        vault = await startVaultKv2Double({ tls: { key, cert: certificate } });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
    afterAll(async () => {
      await vault?.close();
    });

    it('works when given the CA, and refuses the connection without it, saying which setting to give', async () => {
      expect(vault.endpoint).toMatch(/^https:/);
      const trusting = createVaultSecretStore({
        endpoint: vault.endpoint,
        token: vault.token,
        caCertificate: certificate,
      });
      await trusting.put('tls/x', { key: 'v' }, signal);
      expect(await trusting.get('tls/x', signal)).toEqual({ key: 'v' });

      const untrusting = createVaultSecretStore({ endpoint: vault.endpoint, token: vault.token });
      const refused = untrusting.get('tls/x', signal);
      await expectCode(refused, Code.Unavailable);
      await expect(refused).rejects.toThrow(/cannot verify the TLS certificate.*secrets\.caCertificateFile/);
    });
  });

  describe("token renewal (double of Vault's auth/token lookup-self and renew-self API)", () => {
    const renewals = (vault: VaultKv2Double) =>
      vault.requests.filter((request) => request.path === 'auth/token/renew-self').length;

    it('keeps a renewable 2 s token alive across 4 s, renewing it as it goes', async () => {
      const vault = await startVaultKv2Double({ tokenTtlSeconds: 2, tokenMaxTtlSeconds: 60 });
      const store = createVaultSecretStore({ endpoint: vault.endpoint, token: vault.token });
      try {
        await store.put('renewed/x', { key: 'v' }, signal);
        await sleep(4_000);
        expect(await store.get('renewed/x', signal)).toEqual({ key: 'v' });
        expect(renewals(vault)).toBeGreaterThanOrEqual(2);
      } finally {
        store.close();
        await vault.close();
      }
    });

    it('loses a 2 s token that cannot be renewed, as the double lets it expire, and never asks to renew it', async () => {
      const vault = await startVaultKv2Double({ tokenTtlSeconds: 2, tokensRenewable: false });
      const store = createVaultSecretStore({ endpoint: vault.endpoint, token: vault.token });
      try {
        await store.put('expiring/x', { key: 'v' }, signal);
        await sleep(2_500);
        const refused = store.get('expiring/x', signal);
        await expectCode(refused, Code.PermissionDenied);
        await expect(refused).rejects.toThrow(/invalid or expired/);
        expect(renewals(vault)).toBe(0);
        expect(vault.requests.some((request) => request.path === 'auth/token/lookup-self')).toBe(true);
      } finally {
        store.close();
        await vault.close();
      }
    });

    it('does not renew a token that never expires', async () => {
      const vault = await startVaultKv2Double();
      const store = createVaultSecretStore({ endpoint: vault.endpoint, token: vault.token });
      try {
        await store.put('forever/x', { key: 'v' }, signal);
        await sleep(200);
        expect(vault.requests.map((request) => request.path)).toContain('auth/token/lookup-self');
        expect(renewals(vault)).toBe(0);
      } finally {
        store.close();
        await vault.close();
      }
    });
  });

  describe('options', () => {
    it.each([
      ['an empty token', { endpoint: 'http://127.0.0.1:8200', token: ' ' }],
      ['a token with a newline inside', { endpoint: 'http://127.0.0.1:8200', token: 'hvs.a\nb' }],
      ['a non-http endpoint', { endpoint: 'ftp://vault', token: 't' }],
      ['credentials in the endpoint', { endpoint: 'https://user:pw@vault:8200', token: 't' }],
      ['a mount escaping upwards', { endpoint: 'http://127.0.0.1:8200', token: 't', mount: '../sys' }],
      ['a zero timeout', { endpoint: 'http://127.0.0.1:8200', token: 't', requestTimeoutMs: 0 }],
    ])('rejects %s with INVALID_ARGUMENT', (_, options) => {
      expect(() => createVaultSecretStore(options)).toThrow(
        expect.objectContaining({ code: Code.InvalidArgument }),
      );
    });
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
