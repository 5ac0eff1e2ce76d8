import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseS3Credentials } from '../aws-s3/credentials.js';
import { parseAzureCredentials } from '../azure-blob/credentials.js';
import { parseFilesystemCredentials } from '../filesystem/credentials.js';
import { parseOciCredentials } from '../oci/credentials.js';

type Raw = Record<string, unknown>;

/** A secret as a credential file holds one: `Zq` and base64, so it can be told apart in any message. */
const secret = fc
  .string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='),
    minLength: 14,
    maxLength: 40,
  })
  .map((text) => `Zq${text}`);
const SECRET = /Zq[A-Za-z0-9+/=]{14,}/g;

const host = fc.oneof(fc.domain(), fc.constantFrom('127.0.0.1:9000', 'localhost:10000', '[::1]:8080'));
const endpoint = fc
  .tuple(
    fc.constantFrom('http', 'https', 'HTTPS'),
    host,
    fc.constantFrom('', '/', '/s3', '/devstoreaccount1/'),
  )
  .map(([scheme, at, path]) => `${scheme}://${at}${path}`);
const base64Key = fc.base64String({ minLength: 4, maxLength: 88 }).filter((key) => key !== '');

/** Values a careless or hostile credential file may hold where a field is expected, secrets among them. */
const wrongValue = fc.oneof(
  { weight: 3, arbitrary: secret },
  secret.map((s) => `https://user:${s}@s3.example.test`),
  secret.map((s) => `https://s3.example.test/?X-Amz-Signature=${s}`),
  secret.map((s) => `https://s3.example.test/#${s}`),
  secret.map((s) => `ftp://s3.example.test/${s}`),
  secret.map((s) => `${s}:${s}`),
  secret.map((s) => ({ value: s })),
  secret.map((s) => [s]),
  secret.map((s) => ` ${s.slice(0, 20)} ${s.slice(20)}`),
  fc.constantFrom<unknown>(undefined, null, '', ' ', '\t', true, false, 'true', 'yes', 0, 42, [], {}),
  fc.anything({ maxDepth: 1 }),
);

const s3Fields = ['accessKeyId', 'secretAccessKey', 'region', 'endpoint', 'forcePathStyle'];
const azureFields = [
  'accountName',
  'accountKey',
  'tenantId',
  'clientId',
  'clientSecret',
  'endpoint',
  'authorityHost',
];
const ociFields = ['username', 'password'];

const validS3 = fc.record(
  {
    accessKeyId: secret,
    secretAccessKey: secret,
    region: fc.stringMatching(/^[a-z0-9-]{1,64}$/),
    endpoint,
    forcePathStyle: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false')),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey', 'region'] },
);
const accountName = fc.stringMatching(/^[a-z0-9]{3,24}$/);
const validAzure = fc.oneof(
  fc.record(
    { accountName, accountKey: base64Key, endpoint },
    { requiredKeys: ['accountName', 'accountKey'] },
  ),
  fc.record(
    {
      accountName,
      tenantId: fc.uuid(),
      clientId: fc.uuid(),
      clientSecret: secret,
      endpoint,
      authorityHost: endpoint,
    },
    { requiredKeys: ['accountName', 'tenantId', 'clientId', 'clientSecret'] },
  ),
);
const validOci = fc.oneof(
  fc.constant({}),
  fc.record({
    username: fc.string({ minLength: 1, maxLength: 30 }).filter((u) => !u.includes(':')),
    password: secret,
  }),
);

/** Valid credentials with up to three fields replaced, removed or added (an unknown field carries a secret too). */
function perturbed(valid: fc.Arbitrary<Raw>, fields: readonly string[]): fc.Arbitrary<unknown> {
  const name = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...fields) }, fc.string({ maxLength: 12 }));
  return fc.tuple(valid, fc.array(fc.tuple(name, wrongValue), { maxLength: 3 })).map(([record, edits]) => {
    const raw: Raw = { ...record };
    for (const [field, value] of edits) raw[field] = value;
    return raw;
  });
}

const anyInput = (valid: fc.Arbitrary<Raw>, fields: readonly string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: perturbed(valid, fields) },
    fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 12 })), wrongValue, {
      maxKeys: 6,
    }),
    wrongValue,
  );

const parsers = [
  {
    what: 'aws-s3',
    parse: parseS3Credentials,
    fields: s3Fields,
    valid: validS3,
    input: anyInput(validS3, s3Fields),
  },
  {
    what: 'azure-blob',
    parse: parseAzureCredentials,
    fields: azureFields,
    valid: validAzure,
    input: anyInput(validAzure, azureFields),
  },
  {
    what: 'oci',
    parse: parseOciCredentials,
    fields: ociFields,
    valid: validOci,
    input: anyInput(validOci, ociFields),
  },
  {
    what: 'filesystem',
    parse: parseFilesystemCredentials,
    fields: [],
    valid: fc.constant({}),
    input: anyInput(fc.constant({}), ['region', 'password']),
  },
] as const;

/** Every secret anywhere in `value`, however deep. */
function secretsIn(value: unknown): string[] {
  if (typeof value === 'string') return value.match(SECRET) ?? [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(secretsIn);
}

describe.each(parsers)('$what credentials', ({ what, parse, fields, valid, input }) => {
  it('any input parses or is INVALID_ARGUMENT naming the field at fault, never quoting a secret it holds', () => {
    fc.assert(
      fc.property(input, (raw) => {
        let error: unknown;
        try {
          parse(raw);
          return;
        } catch (thrown) {
          error = thrown;
        }
        expect(error).toBeInstanceOf(CairnError);
        const { code, message, details } = error as CairnError;
        expect(code).toBe(Code.InvalidArgument);
        expect(message.startsWith(`${what} credentials`)).toBe(true);
        if (fields.length > 0) expect(fields.some((field) => message.includes(field))).toBe(true);
        const said = `${message} ${JSON.stringify(details)}`;
        for (const found of secretsIn(raw)) {
          // Neither the secret nor a clipped piece of it.
          expect(said).not.toContain(found.slice(0, 10));
          expect(said).not.toContain(found.slice(-10));
        }
      }),
      { numRuns: 600 },
    );
  });

  it('valid credentials are accepted as they are, and what a parse returns parses to itself', () => {
    fc.assert(
      fc.property(valid, (raw: Raw) => {
        const parsed = parse(raw) as Raw;
        for (const [field, value] of Object.entries(raw)) {
          if (field === 'endpoint' || field === 'authorityHost') {
            // The same URL, written without a trailing '/'.
            expect(parsed[field]).toBe(new URL(value as string).href.replace(/\/$/, ''));
          } else if (field === 'forcePathStyle') {
            expect(parsed[field]).toBe(value === true || value === 'true');
          } else {
            expect(parsed[field]).toBe(value);
          }
        }
        const { kind: _kind, ...again } = parsed;
        expect(parse(again)).toEqual(parsed);
      }),
      { numRuns: 200 },
    );
  });
});
