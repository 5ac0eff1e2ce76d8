import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SECRET_REF_LENGTH } from '../secret-ref.js';
import type { SecretStore, SecretValue } from '../secret-store.js';
import { MAX_SECRET_VALUE_BYTES } from '../secret-value.js';

export interface SecretStoreFixture {
  readonly store: SecretStore;
  /** Strings of the store's own configuration that must never show in an error (e.g. a Vault token). */
  readonly credentials: readonly string[];
  close(): Promise<void>;
}

const INVALID_REFS: readonly unknown[] = [
  '',
  '../x',
  'a/../b',
  './a',
  '/abs',
  'a//b',
  'a/',
  'with space',
  'caf\u00e9',
  'a\\b',
  'a?b',
  'x'.repeat(MAX_SECRET_REF_LENGTH + 1),
  42,
];

const INVALID_VALUES: readonly unknown[] = [
  null,
  'text',
  ['a'],
  {},
  { nested: { a: 'b' } },
  { port: 5432 },
  { '': 'x' },
  new Map([['a', 'b']]),
  new Date(),
  { big: 'x'.repeat(MAX_SECRET_VALUE_BYTES) },
];

/** The behaviour every SecretStore shares; call it inside a `describe` per implementation. */
export function secretStoreContract(open: () => Promise<SecretStoreFixture>): void {
  let fixture: SecretStoreFixture;
  const signal = new AbortController().signal;
  const store = (): SecretStore => fixture.store;
  const freshRef = (): string => `contract/${randomUUID()}/credentials`;
  const freshSecret = (): SecretValue => ({
    accessKeyId: 'AKIA-contract',
    secretAccessKey: `s3cr3t-${randomUUID()}`,
  });

  beforeAll(async () => {
    fixture = await open();
  });
  afterAll(async () => {
    await fixture.close();
  });

  describe('contract of every SecretStore', () => {
    it('returns what was put, as a frozen copy', async () => {
      const ref = freshRef();
      const value = { ...freshSecret(), note: 'ünïcödé ✓ "quoted" \n' };
      await store().put(ref, value, signal);
      const read = await store().get(ref, signal);
      expect(read).toEqual(value);
      expect(Object.isFrozen(read)).toBe(true);
    });

    it('refuses to put over an existing secret with ALREADY_EXISTS and keeps the old value', async () => {
      const ref = freshRef();
      const first = freshSecret();
      await store().put(ref, first, signal);
      await expectCode(store().put(ref, freshSecret(), signal), Code.AlreadyExists);
      expect(await store().get(ref, signal)).toEqual(first);
    });

    it('answers NOT_FOUND for get and rotate of a missing secret, and rotate does not create it', async () => {
      const ref = freshRef();
      await expectCode(store().get(ref, signal), Code.NotFound);
      await expectCode(store().rotate(ref, freshSecret(), signal), Code.NotFound);
      await expectCode(store().get(ref, signal), Code.NotFound);
    });

    it('rotates a secret in place', async () => {
      const ref = freshRef();
      await store().put(ref, freshSecret(), signal);
      const next = { token: 'rotated' };
      await store().rotate(ref, next, signal);
      expect(await store().get(ref, signal)).toEqual(next);
    });

    it('deletes idempotently, after which the reference can be put again', async () => {
      const ref = freshRef();
      await store().put(ref, freshSecret(), signal);
      await store().delete(ref, signal);
      await expectCode(store().get(ref, signal), Code.NotFound);
      await store().delete(ref, signal);
      await store().delete(freshRef(), signal);
      const again = freshSecret();
      await store().put(ref, again, signal);
      expect(await store().get(ref, signal)).toEqual(again);
    });

    it('keeps a reference and its sub-references apart', async () => {
      const parent = `contract/${randomUUID()}`;
      await store().put(parent, { which: 'parent' }, signal);
      await store().put(`${parent}/child`, { which: 'child' }, signal);
      await store().put(`${parent}-child`, { which: 'sibling' }, signal);
      expect(await store().get(parent, signal)).toEqual({ which: 'parent' });
      expect(await store().get(`${parent}/child`, signal)).toEqual({ which: 'child' });
      expect(await store().get(`${parent}-child`, signal)).toEqual({ which: 'sibling' });
    });

    it('accepts the longest allowed reference', async () => {
      const ref = `contract/${'r'.repeat(MAX_SECRET_REF_LENGTH - 'contract/'.length)}`;
      await store().put(ref, { a: 'b' }, signal);
      expect(await store().get(ref, signal)).toEqual({ a: 'b' });
      await store().delete(ref, signal);
    });

    it('rejects malformed references with INVALID_ARGUMENT in every method', async () => {
      for (const ref of INVALID_REFS) {
        const bad = ref as string;
        await expectCode(store().put(bad, { a: 'b' }, signal), Code.InvalidArgument);
        await expectCode(store().get(bad, signal), Code.InvalidArgument);
        await expectCode(store().rotate(bad, { a: 'b' }, signal), Code.InvalidArgument);
        await expectCode(store().delete(bad, signal), Code.InvalidArgument);
      }
    });

    it('rejects values that are not flat objects of strings with INVALID_ARGUMENT', async () => {
      const ref = freshRef();
      await store().put(ref, { a: 'b' }, signal);
      for (const value of INVALID_VALUES) {
        const bad = value as SecretValue;
        await expectCode(store().put(freshRef(), bad, signal), Code.InvalidArgument);
        await expectCode(store().rotate(ref, bad, signal), Code.InvalidArgument);
      }
      expect(await store().get(ref, signal)).toEqual({ a: 'b' });
    });

    it('never shows a secret value or the store credentials in an error', async () => {
      const ref = freshRef();
      const value = freshSecret();
      const secretParts = [value.secretAccessKey ?? '', ...fixture.credentials];
      await store().put(ref, value, signal);
      const errors = [
        await caught(store().put(ref, value, signal)),
        await caught(store().rotate(freshRef(), value, signal)),
        await caught(store().put(freshRef(), { ...value, port: 1 } as unknown as SecretValue, signal)),
        await caught(store().put('../escape', value, signal)),
        await caught(store().get(freshRef(), signal)),
      ];
      for (const error of errors) {
        const everything = `${inspect(error, { depth: 10 })} ${JSON.stringify(error.details)}`;
        for (const secret of secretParts) expect(everything).not.toContain(secret);
      }
    });

    it('ends with CANCELED on an aborted signal and changes nothing', async () => {
      const ref = freshRef();
      const aborted = AbortSignal.abort();
      await expectCode(store().put(ref, freshSecret(), aborted), Code.Canceled);
      await expectCode(store().get(ref, signal), Code.NotFound);
      await store().put(ref, { a: 'b' }, signal);
      await expectCode(store().get(ref, aborted), Code.Canceled);
      await expectCode(store().rotate(ref, { c: 'd' }, aborted), Code.Canceled);
      await expectCode(store().delete(ref, aborted), Code.Canceled);
      expect(await store().get(ref, signal)).toEqual({ a: 'b' });
    });

    it('leaves a readable secret after concurrent rotations (last writer wins)', async () => {
      const ref = freshRef();
      await store().put(ref, { round: 'initial' }, signal);
      const rounds = Array.from({ length: 8 }, (_, index) => ({ round: String(index) }));
      await Promise.all(rounds.map((value) => store().rotate(ref, value, signal)));
      expect(rounds).toContainEqual(await store().get(ref, signal));
    });
  });
}

export async function caught(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CairnError);
    return error as CairnError;
  }
  throw new Error('expected the call to fail');
}

export async function expectCode(promise: Promise<unknown>, code: Code): Promise<CairnError> {
  const error = await caught(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}
