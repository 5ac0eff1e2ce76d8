import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import { type Call, type CallInterceptor, createContextKey } from '@cairn/service-runtime';
import type { AccessRequirement, CallContext } from '../service/call-context.js';
import { type Authenticator, bearerToken } from './authenticator.js';
import type { CasMetrics } from './metrics.js';

// The CAS's own per-call concerns, beside the runtime's logging, metrics and error mapping.

/** A token a blob URL carries as `?t=` (HTTP GET and HEAD only); set by the HTTP adapter. */
export const QUERY_TOKEN = createContextKey<string | undefined>(undefined, 'cas query token');

const AUTHORIZE = createContextKey<((need: AccessRequirement) => Promise<CasClaims>) | undefined>(
  undefined,
  'cas authorize',
);

interface Traffic {
  received(bytes: number): void;
  sent(bytes: number): void;
}

const TRAFFIC = createContextKey<Traffic>({ received: () => {}, sent: () => {} }, 'cas traffic');

/**
 * Authentication, lazily: a CAS call knows what its token must allow (a role, maybe a blob) only once it
 * has read its resource name, so this gives the call a way to check the token then, once. The principal
 * goes on the call's log line, never the token.
 */
export function casAuthentication(authenticator: Authenticator): CallInterceptor {
  return (call, next) => {
    let claims: Promise<CasClaims> | undefined;
    call.values.set(AUTHORIZE, (need) => {
      claims ??= credentialsOf(call, authenticator, need).then((granted) => {
        call.note({ sub: granted.sub, org: granted.org, backend: granted.backend.id });
        return granted;
      });
      return claims;
    });
    return next();
  };
}

async function credentialsOf(
  call: Call,
  authenticator: Authenticator,
  need: AccessRequirement,
): Promise<CasClaims> {
  const header = bearerToken(call.header('authorization'));
  if (header !== undefined) return authenticator.authenticate(header, need, call.signal);
  const query = call.values.get(QUERY_TOKEN);
  if (query === undefined) return authenticator.authenticate(undefined, need, call.signal);
  const claims = await authenticator.authenticate(query, need, call.signal);
  if (claims.digest === undefined) {
    // A URL ends up in histories and logs: only a short-lived token for one blob may ride in it.
    throw new CairnError(
      Code.PermissionDenied,
      'a token in the URL (?t=) must be bound to the one blob it reads; send other tokens in the Authorization header',
      { details: { reason: 'query_token_unbound' } },
    );
  }
  return claims;
}

/** The blob bytes a call moves: counted in the metrics as they go, and totalled on its log line. */
export function trafficCounting(metrics: CasMetrics): CallInterceptor {
  return async (call, next) => {
    let received = 0;
    let sent = 0;
    const labels = { transport: call.transport };
    call.values.set(TRAFFIC, {
      received: (bytes) => {
        received += bytes;
        metrics.bytesReceived.inc(labels, bytes);
      },
      sent: (bytes) => {
        sent += bytes;
        metrics.bytesSent.inc(labels, bytes);
      },
    });
    try {
      return await next();
    } finally {
      call.note({ bytes_in: received, bytes_out: sent });
    }
  };
}

/** What a CAS service method gets of its call. */
export function casContext(call: Call): CallContext {
  const traffic = call.values.get(TRAFFIC);
  return {
    signal: call.signal,
    metadata: (key) => call.header(key),
    authorize: (need) => {
      const authorize = call.values.get(AUTHORIZE);
      if (authorize === undefined)
        throw new CairnError(Code.Internal, 'the call was not set up for authentication');
      return authorize(need);
    },
    received: traffic.received,
    sent: traffic.sent,
    note: (fields) => call.note(fields),
  };
}
