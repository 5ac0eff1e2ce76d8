import { CairnError, Code } from '@cairn/errors';
import { shorten } from '../core/shorten.js';

/**
 * Where a backend's evidence lives: `registry/repository`, e.g. `ghcr.io/acme/evidence` or
 * `127.0.0.1:5000/cairn/evidence`. The scheme is https, except plain http for a loopback registry
 * (`localhost`, `127.0.0.1`, `[::1]`); an explicit `http://` or `https://` prefix overrides that default.
 */
export interface OciLocation {
  /** The location as stored: the scheme prefix appears only where it differs from the default. */
  readonly canonical: string;
  /** `https://host[:port]` or `http://host[:port]`, without a trailing slash. */
  readonly origin: string;
  /** `host[:port]` as written, for messages. */
  readonly host: string;
  readonly repository: string;
  readonly plainHttp: boolean;
}

// The distribution spec's repository name grammar: path components of lower-case alphanumerics joined by
// `.`, `_`, `__` or runs of `-`.
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const HOSTNAME =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
const MAX_NAME = 255;

export function parseOciLocation(raw: string): OciLocation {
  const text = raw.trim();
  if (/[@?#]/.test(text)) {
    // No registry/repository has these; what comes with them (user:token@, ?token=) is often a credential,
    // so the location is not quoted.
    throw new CairnError(
      Code.InvalidArgument,
      'an OCI location is "registry/repository" and has no "@", "?" or "#"; a user name, password or token belongs in the backend\'s credentials',
    );
  }
  const explicit = /^(https?):\/\//i.exec(text);
  const rest = explicit ? text.slice(explicit[0].length) : text;
  const slash = rest.indexOf('/');
  if (slash <= 0) {
    throw invalid(raw, 'expected "registry/repository", e.g. "ghcr.io/acme/evidence"');
  }
  const host = rest.slice(0, slash);
  const repository = rest.slice(slash + 1).replace(/\/+$/, '');
  const { hostname, port } = splitHost(raw, host);
  if (!HOSTNAME.test(hostname) && !IPV6.test(hostname)) {
    throw invalid(raw, `"${hostname}" is not a registry host name`);
  }
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) > 0 && Number(port) < 65536)) {
    throw invalid(raw, `"${port}" is not a port`);
  }
  if (repository === '' || !repository.split('/').every((part) => COMPONENT.test(part))) {
    throw invalid(
      raw,
      'a repository is lower-case letters and digits, separated by "/", ".", "_" or "-" (e.g. "acme/evidence")',
    );
  }
  if (repository.length > MAX_NAME)
    throw invalid(raw, `a repository name has at most ${MAX_NAME} characters`);

  const loopback = isLoopback(hostname);
  const plainHttp = explicit ? explicit[1]?.toLowerCase() === 'http' : loopback;
  const defaultScheme = loopback ? 'http' : 'https';
  const scheme = plainHttp ? 'http' : 'https';
  const prefix = scheme === defaultScheme ? '' : `${scheme}://`;
  // The origin as URLs spell it (lower case, no default port, canonical IP addresses), since requests'
  // origins are compared with it before credentials are sent.
  let origin: string;
  try {
    origin = new URL(`${scheme}://${host}`).origin;
  } catch {
    throw invalid(raw, `"${host}" is not a registry host`);
  }
  return {
    canonical: `${prefix}${host}/${repository}`,
    origin,
    host,
    repository,
    plainHttp,
  };
}

export function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

function splitHost(raw: string, host: string): { hostname: string; port: string | undefined } {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) throw invalid(raw, 'an IPv6 registry address needs a closing "]"');
    const after = host.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw invalid(raw, `"${host}" is not a registry host`);
    return { hostname: host.slice(0, close + 1), port: after === '' ? undefined : after.slice(1) };
  }
  const colon = host.lastIndexOf(':');
  return colon < 0
    ? { hostname: host, port: undefined }
    : { hostname: host.slice(0, colon), port: host.slice(colon + 1) };
}

function invalid(raw: string, why: string): CairnError {
  return new CairnError(Code.InvalidArgument, `OCI location "${shorten(raw, 120)}" is invalid: ${why}`);
}
