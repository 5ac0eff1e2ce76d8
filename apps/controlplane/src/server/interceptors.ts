import { CairnError, Code } from '@cairn/errors';
import { type Call, type CallInterceptor, createContextKey } from '@cairn/service-runtime';
import { type ApiTokens, type Caller, isAdmin } from '../biz/index.js';
import type { CallContext, CallerContext } from '../service/call-context.js';

const CALLER = createContextKey<Caller | undefined>(undefined, 'controlplane caller');

/**
 * Authentication of every control-plane call: the API token of `authorization: Bearer cairn_…` resolves to
 * a caller (an organisation's principal, or an admin) before the method runs; the caller goes on the
 * call's log line, never the token.
 */
export function apiTokenAuthentication(tokens: ApiTokens): CallInterceptor {
  return async (call, next) => {
    const caller = await tokens.authenticate(bearerToken(call));
    call.values.set(CALLER, caller);
    call.note({ ...(caller.orgId ? { org: caller.orgId } : {}), principal: caller.subject });
    return next();
  };
}

/** The context of a method that serves admin tokens too (organisations, API tokens). */
export function callerContext(call: Call): CallerContext {
  const caller = call.values.get(CALLER);
  if (caller === undefined) throw new CairnError(Code.Internal, 'the call was not authenticated');
  return { caller, signal: call.signal };
}

/** The context of a method on one organisation's data, which refuses admin tokens. */
export function organizationContext(call: Call): CallContext {
  const { caller, signal } = callerContext(call);
  if (isAdmin(caller)) throw adminTokenRefused();
  return { principal: caller, signal };
}

function adminTokenRefused(): CairnError {
  return new CairnError(
    Code.PermissionDenied,
    "this is an admin token, which manages organisations and API tokens only; for CAS backends, CAS tokens and attestations use an organisation's API token (`cairn token create --org NAME` makes one)",
    { details: { reason: 'admin_token' } },
  );
}

function bearerToken(call: Call): string {
  const match = /^Bearer\s+(\S+)$/i.exec((call.header('authorization') ?? '').trim());
  if (!match?.[1]) {
    throw new CairnError(
      Code.Unauthenticated,
      'send an API token as `authorization: Bearer cairn_...` (`cairn token create` makes one)',
    );
  }
  return match[1];
}
