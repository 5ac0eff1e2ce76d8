import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ImageReference, parseImageReference } from './image-reference.js';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

const hex = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('hex'));
const component = fc.stringMatching(COMPONENT).filter((text) => text.length <= 30);
const tag = fc.stringMatching(/^[\w][\w.-]{0,20}$/);
const registry = fc.oneof(
  fc.tuple(fc.domain(), fc.constantFrom('', ':5000', ':443')).map(([host, port]) => `${host}${port}`),
  fc.constantFrom(
    'localhost',
    'localhost:5000',
    '127.0.0.1:5000',
    '[::1]:5000',
    'Registry:5000',
    'index.docker.io',
    'docker.io',
  ),
);

/** The parts of a well-formed reference, and the text that spells them. */
const parts = fc
  .record(
    {
      registry,
      path: fc.array(component, { minLength: 1, maxLength: 3 }),
      tag,
      digest: hex.map((h) => `sha256:${h}`),
    },
    { requiredKeys: ['path'] },
  )
  .map((p) => ({
    ...p,
    text: `${p.registry === undefined ? '' : `${p.registry}/`}${p.path.join('/')}${p.tag === undefined ? '' : `:${p.tag}`}${p.digest === undefined ? '' : `@${p.digest}`}`,
  }));

/** Near-misses: a well-formed reference with one character replaced, inserted or removed, or noise. */
const text = fc.oneof(
  { weight: 2, arbitrary: parts.map((p) => p.text) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        parts.map((p) => p.text),
        fc.nat(),
        fc.nat(1),
        fc.string({ unit: fc.constantFrom(...'/:@.-_A ZéxX\t'), maxLength: 2 }),
      )
      .map(([whole, at, cut, insert]) => {
        const i = at % (whole.length + 1);
        return `${whole.slice(0, i)}${insert}${whole.slice(i + cut)}`;
      }),
  },
  fc
    .tuple(
      fc.constantFrom('', 'ghcr.io/', 'docker.io/', 'docker.io/library/'),
      fc.integer({ min: 230, max: 260 }),
    )
    .map(([prefix, length]) => `${prefix}${'a'.repeat(length)}`),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

function attempt(input: string): ImageReference | CairnError {
  try {
    return parseImageReference(input);
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
}

describe('image reference properties', () => {
  it('any text is INVALID_ARGUMENT or a reference whose normal form parses to itself', () => {
    fc.assert(
      fc.property(text, (input) => {
        const parsed = attempt(input);
        if (parsed instanceof CairnError) {
          expect(parsed.code).toBe(Code.InvalidArgument);
          expect(parsed.details).toEqual({ reason: 'invalid_image_reference' });
          return;
        }
        const { registry: host, repository, tag: label, digest, name, reference } = parsed;
        expect(name).toBe(`${host}/${repository}`);
        expect(name.length).toBeLessThanOrEqual(255);
        expect(repository.split('/').every((part) => COMPONENT.test(part))).toBe(true);
        expect(label !== undefined || digest !== undefined).toBe(true);
        if (digest !== undefined) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        if (label !== undefined) expect(label).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
        expect(reference).toBe(
          `${name}${label === undefined ? '' : `:${label}`}${digest === undefined ? '' : `@${digest}`}`,
        );
        expect(parseImageReference(reference)).toEqual(parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it('a well-formed reference gives back its parts, as docker pull reads them', () => {
    fc.assert(
      fc.property(
        parts,
        fc.constantFrom('', ' ', '\t', '\n '),
        ({ registry: host, path, tag: label, digest, text: input }, space) => {
          // The first component names a registry when it has '.' or ':', is localhost, or has upper case.
          const [first = '', ...rest] = host === undefined ? path : [host, ...path];
          const isRegistry = rest.length > 0 && (/[.:A-Z]/.test(first) || first === 'localhost');
          const registryOf = isRegistry ? (first === 'index.docker.io' ? 'docker.io' : first) : 'docker.io';
          const components = isRegistry ? rest : [first, ...rest];
          const repository = (
            registryOf === 'docker.io' && components.length === 1 ? ['library', ...components] : components
          ).join('/');
          // A path component taken for a registry must also be a host name ('_' is not): left to the first property.
          fc.pre(!(isRegistry && first.includes('_')) && `${registryOf}/${repository}`.length <= 255);
          expect(parseImageReference(`${space}${input}${space}`)).toEqual({
            registry: registryOf,
            repository,
            ...(label === undefined && digest !== undefined ? {} : { tag: label ?? 'latest' }),
            ...(digest === undefined ? {} : { digest }),
            name: `${registryOf}/${repository}`,
            reference: `${registryOf}/${repository}${label === undefined && digest !== undefined ? '' : `:${label ?? 'latest'}`}${digest === undefined ? '' : `@${digest}`}`,
          });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
