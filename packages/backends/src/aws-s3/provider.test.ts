import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { awsS3Provider } from './provider.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const valid = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET, region: 'eu-west-1' };

function refusal(action: () => unknown): CairnError {
  try {
    action();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('aws-s3 provider: locations', () => {
  it('accepts a bucket, optionally with a prefix, in canonical form', () => {
    expect(awsS3Provider.parseLocation('evidence-bucket')).toBe('evidence-bucket');
    expect(awsS3Provider.parseLocation('evidence.bucket/team-a/builds/')).toBe(
      'evidence.bucket/team-a/builds',
    );
  });

  it.each([
    ['Upper_Case'],
    ['ab'],
    ['-starts-with-hyphen'],
    ['192.168.10.20'],
    ['bucket//double-slash'],
    ['bucket/../escape'],
    ['bucket/./dot'],
    ['bucket/back\\slash'],
    [''],
  ])('refuses %j', (location) => {
    expect(refusal(() => awsS3Provider.parseLocation(location)).code).toBe(Code.InvalidArgument);
  });
});

describe('aws-s3 provider: credentials', () => {
  it('accepts keys and a region, with an optional endpoint (path style unless told otherwise)', () => {
    expect(awsS3Provider.parseCredentials(valid)).toEqual(valid);
    expect(
      awsS3Provider.parseCredentials({
        ...valid,
        endpoint: 'https://s3.example.test/',
        forcePathStyle: false,
      }),
    ).toEqual({ ...valid, endpoint: 'https://s3.example.test', forcePathStyle: false });
  });

  it('lists every missing, mistyped and unknown field at once, by name only', () => {
    expect(refusal(() => awsS3Provider.parseCredentials({})).message).toBe(
      'aws-s3 credentials need accessKeyId, secretAccessKey and region (missing: accessKeyId, secretAccessKey, region); optional: endpoint, forcePathStyle',
    );
    expect(refusal(() => awsS3Provider.parseCredentials(undefined)).message).toContain(
      '(missing: accessKeyId, secretAccessKey, region)',
    );
    const mixed = refusal(() =>
      awsS3Provider.parseCredentials({ accessKeyId: 'AKIAEXAMPLE', secretKey: SECRET, region: 7 }),
    );
    expect(mixed.code).toBe(Code.InvalidArgument);
    expect(mixed.message).toContain('(missing: secretAccessKey; not text: region; unknown: secretKey)');
    expect(mixed.message).not.toContain(SECRET);
  });

  it('reads the path-style flag as text, the only form the secret store and the control plane carry', () => {
    expect(awsS3Provider.parseCredentials({ ...valid, forcePathStyle: 'true' })).toEqual({
      ...valid,
      forcePathStyle: true,
    });
    expect(awsS3Provider.parseCredentials({ ...valid, forcePathStyle: 'false' })).toEqual({
      ...valid,
      forcePathStyle: false,
    });
  });

  it.each([
    ['a string', 'not an object', /one object of strings/],
    ['no region', { ...valid, region: undefined }, /missing: region/],
    ['a malformed region', { ...valid, region: 'EU West' }, /"region"/],
    ['no access key id', { ...valid, accessKeyId: '' }, /missing: accessKeyId/],
    ['no secret', { ...valid, secretAccessKey: undefined }, /missing: secretAccessKey/],
    ['a secret of the wrong type', { ...valid, secretAccessKey: 42 }, /not text: secretAccessKey/],
    ['an ftp endpoint', { ...valid, endpoint: 'ftp://s3.example.test' }, /"endpoint"/],
    [
      'an endpoint with a password',
      { ...valid, endpoint: `https://user:${SECRET}@s3.example.test` },
      /"endpoint"/,
    ],
    [
      'a non-boolean path style',
      { ...valid, forcePathStyle: 'yes' },
      /"forcePathStyle" must be true or false$/,
    ],
    ['a blank access key id', { ...valid, accessKeyId: '  ' }, /missing: accessKeyId/],
    ['a blank endpoint', { ...valid, endpoint: ' ' }, /: "endpoint" must not be blank$/],
    ['a blank path style', { ...valid, forcePathStyle: '' }, /"forcePathStyle" must be true or false$/],
  ])('refuses %s, naming the field but never a value', (_, raw, field) => {
    const error = refusal(() => awsS3Provider.parseCredentials(raw));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toMatch(field);
    expect(error.message).not.toContain(SECRET);
  });
});
