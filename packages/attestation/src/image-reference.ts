import { CairnError, Code } from '@cairn/errors';

/** A container image reference, split into its parts and normalised as `docker pull` reads it. */
export interface ImageReference {
  /** The registry host, with its port when one was given: `ghcr.io`, `127.0.0.1:5000`, `docker.io`. */
  readonly registry: string;
  /** The repository path inside the registry: `acme/api`, `library/alpine`. */
  readonly repository: string;
  /** The tag; `latest` when the reference names neither a tag nor a digest. */
  readonly tag?: string;
  /** `sha256:<64 hex>` when the reference pins a digest. */
  readonly digest?: string;
  /** `registry/repository`: the image's name, used as the statement subject's name. */
  readonly name: string;
  /** The whole reference, normalised: `registry/repository[:tag][@digest]`. */
  readonly reference: string;
}

// The grammar is distribution/reference's (what Docker, containerd and registries use), written as a few
// regular expressions here: it is short, and the npm packages that parse it are unmaintained or pull in a
// registry client. Only sha256 digests are accepted, as everywhere in Cairn.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])`;
const DOMAIN = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME_LENGTH = 255;

const DOCKER_HUB = 'docker.io';

/** Parses `registry/repo:tag`, `repo@sha256:…` or `registry/repo:tag@sha256:…`; INVALID_ARGUMENT saying why not. */
export function parseImageReference(text: string): ImageReference {
  const input = text.trim();
  const refuse = (why: string) => notAReference(input, why);
  if (input === '') refuse('it is empty');
  if (/\s/.test(input)) refuse('it contains white space');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) refuse(`the digest "${digest}" is not sha256:<64 lower-case hex>`);
  }

  // A tag follows the last ':' that comes after the last '/', so a registry port is not taken for a tag.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) refuse(`the tag "${tag}" is not valid (letters, digits, '_', '.', '-'; at most 128)`);
  }

  const [first, ...others] = rest.split('/');
  let registry = DOCKER_HUB;
  let path: string[] = [first ?? '', ...others];
  if (others.length > 0 && first !== undefined && isRegistry(first)) {
    if (!DOMAIN.test(first)) refuse(`the registry "${first}" is not a host name with an optional port`);
    registry = first === 'index.docker.io' ? DOCKER_HUB : first;
    path = others;
  }
  if (registry === DOCKER_HUB && path.length === 1) path = ['library', ...path];
  for (const component of path) {
    if (!PATH_COMPONENT.test(component)) {
      refuse(
        component === ''
          ? 'the repository path has an empty component'
          : `the repository component "${component}" must be lower-case letters and digits, separated by '.', '_', '__' or '-'`,
      );
    }
  }
  const repository = path.join('/');
  const name = `${registry}/${repository}`;
  if (name.length > MAX_NAME_LENGTH) refuse(`the name is longer than ${MAX_NAME_LENGTH} characters`);

  const effectiveTag = tag ?? (digest === undefined ? 'latest' : undefined);
  const reference = `${name}${effectiveTag === undefined ? '' : `:${effectiveTag}`}${digest === undefined ? '' : `@${digest}`}`;
  return {
    registry,
    repository,
    ...(effectiveTag === undefined ? {} : { tag: effectiveTag }),
    ...(digest === undefined ? {} : { digest }),
    name,
    reference,
  };
}

function notAReference(input: string, why: string): never {
  const shown = JSON.stringify(input.length > 80 ? `${input.slice(0, 77)}...` : input);
  throw new CairnError(
    Code.InvalidArgument,
    `${shown} is not a container image reference: ${why}; ` +
      'write it as registry/repository:tag or registry/repository@sha256:<64 hex>',
    { details: { reason: 'invalid_image_reference' } },
  );
}

// As Docker decides: the first component is a registry when it has a '.' or a ':', is `localhost`, or has an
// upper-case letter (which a repository path may not).
function isRegistry(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost' || component !== component.toLowerCase();
}
