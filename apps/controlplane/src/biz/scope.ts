import { CairnError, Code } from '@cairn/errors';
import type { DataStore, Organization } from '../data/index.js';
import { type Caller, isAdmin } from './principal.js';

/**
 * The organisation a call acts on. An admin token names it (it has none of its own); an organisation's
 * token acts on its own, and may name it, but naming another is PERMISSION_DENIED. `command` is the
 * `cairn` command the advice names, e.g. `cairn token list`.
 */
export async function actingOrganization(
  store: DataStore,
  caller: Caller,
  name: string | undefined,
  command: string,
): Promise<Organization> {
  if (isAdmin(caller)) {
    if (!name) {
      throw new CairnError(
        Code.InvalidArgument,
        `an admin token belongs to no organisation; name the one to act on (\`${command} --org NAME\`; \`cairn org list\` shows them)`,
        { details: { reason: 'organization_required' } },
      );
    }
    const organization = await store.organizations.findByName(name);
    if (!organization) {
      throw new CairnError(
        Code.NotFound,
        `there is no organisation named ${JSON.stringify(name.slice(0, 70))}; \`cairn org list\` shows them`,
      );
    }
    return organization;
  }
  const own = await store.organizations.findById(caller.orgId);
  if (!own) throw new CairnError(Code.NotFound, 'the organisation of this API token no longer exists');
  if (name && name !== own.name) {
    throw new CairnError(
      Code.PermissionDenied,
      `this API token belongs to organisation "${own.name}" and cannot act for ${JSON.stringify(name.slice(0, 70))}; use a token of that organisation, or an admin token (an admin makes one with \`cairn token create --org ${name.slice(0, 70)}\`)`,
      { details: { reason: 'other_organization' } },
    );
  }
  return own;
}

/** PERMISSION_DENIED for what only an admin token may do; `advice` says how to get one. */
export function adminOnly(what: string, advice: string): CairnError {
  return new CairnError(Code.PermissionDenied, `only an admin token may ${what}; ${advice}`, {
    details: { reason: 'admin_only' },
  });
}
