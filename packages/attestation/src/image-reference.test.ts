import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { type ImageReference, parseImageReference } from './image-reference.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseImageReference', () => {
  const valid: Array<[string, ImageReference]> = [
    [
      'alpine',
      {
        registry: 'docker.io',
        repository: 'library/alpine',
        tag: 'latest',
        name: 'docker.io/library/alpine',
        reference: 'docker.io/library/alpine:latest',
      },
    ],
    [
      'acme/api:1.2.0',
      {
        registry: 'docker.io',
        repository: 'acme/api',
        tag: '1.2.0',
        name: 'docker.io/acme/api',
        reference: 'docker.io/acme/api:1.2.0',
      },
    ],
    [
      'ghcr.io/acme/team/api:v1.2.0-rc.1',
      {
        registry: 'ghcr.io',
        repository: 'acme/team/api',
        tag: 'v1.2.0-rc.1',
        name: 'ghcr.io/acme/team/api',
        reference: 'ghcr.io/acme/team/api:v1.2.0-rc.1',
      },
    ],
    [
      `127.0.0.1:5000/cairn/test@${DIGEST}`,
      {
        registry: '127.0.0.1:5000',
        repository: 'cairn/test',
        digest: DIGEST,
        name: '127.0.0.1:5000/cairn/test',
        reference: `127.0.0.1:5000/cairn/test@${DIGEST}`,
      },
    ],
    [
      `localhost/my_app__x.y-z:latest@${DIGEST}`,
      {
        registry: 'localhost',
        repository: 'my_app__x.y-z',
        tag: 'latest',
        digest: DIGEST,
        name: 'localhost/my_app__x.y-z',
        reference: `localhost/my_app__x.y-z:latest@${DIGEST}`,
      },
    ],
    [
      '[::1]:5000/app:1',
      {
        registry: '[::1]:5000',
        repository: 'app',
        tag: '1',
        name: '[::1]:5000/app',
        reference: '[::1]:5000/app:1',
      },
    ],
    [
      '  index.docker.io/library/nginx:1.27  ',
      {
        registry: 'docker.io',
        repository: 'library/nginx',
        tag: '1.27',
        name: 'docker.io/library/nginx',
        reference: 'docker.io/library/nginx:1.27',
      },
    ],
  ];
  it.each(valid)('%s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  const invalid: Array<[string, string]> = [
    ['', 'it is empty'],
    ['ghcr.io/acme/api:1 2', 'it contains white space'],
    ['ghcr.io/Acme/api', 'the repository component "Acme" must be lower-case'],
    ['ghcr.io/acme//api', 'the repository path has an empty component'],
    ['ghcr.io/acme/api:', 'the tag "" is not valid'],
    [`ghcr.io/acme/api:${'x'.repeat(129)}`, `the tag "${'x'.repeat(129)}" is not valid`],
    ['ghcr.io/acme/api:-x', 'the tag "-x" is not valid'],
    ['ghcr.io/acme/api@sha256:abc', 'the digest "sha256:abc" is not sha256:<64 lower-case hex>'],
    [`ghcr.io/acme/api@sha512:${'a'.repeat(128)}`, `the digest "sha512:${'a'.repeat(128)}" is not sha256:`],
    [
      `ghcr.io/acme/api@sha256:${'0123456789ABCDEF'.repeat(4)}`,
      `the digest "sha256:${'0123456789ABCDEF'.repeat(4)}" is not sha256:<64 lower-case hex>`,
    ],
    ['-bad-.io:5000/x', 'the registry "-bad-.io:5000" is not a host name'],
    [`ghcr.io/${'a'.repeat(250)}`, 'the name is longer than 255 characters'],
  ];
  it.each(invalid)('refuses %j', (text, why) => {
    let caught: unknown;
    try {
      parseImageReference(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CairnError);
    const error = caught as CairnError;
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toContain(`is not a container image reference: ${why}`);
    expect(error.message).toContain(
      'write it as registry/repository:tag or registry/repository@sha256:<64 hex>',
    );
  });
});
