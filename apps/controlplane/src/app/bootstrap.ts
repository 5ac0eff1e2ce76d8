import type { ControlPlaneCore, Principal } from '../biz/index.js';
import type { Organization } from '../data/index.js';

export interface BootstrapResult {
  readonly org: Organization;
  /** True when this call created the organisation. */
  readonly created: boolean;
  /** A new API token, only when the organisation was created (shown once). */
  readonly apiToken?: string;
}

/**
 * The way into a fresh deployment: creates the named organisation with a first API token if it does
 * not exist yet. Running it again changes nothing and reveals nothing.
 */
export async function bootstrapOrganization(
  core: ControlPlaneCore,
  name: string,
  tokenName = 'bootstrap',
): Promise<BootstrapResult> {
  const existing = await core.organizations.findByName(name);
  if (existing) return { org: existing, created: false };
  const org = await core.organizations.create(name);
  const { secret } = await core.apiTokens.create(org.id, { name: tokenName, kind: 'user' });
  return { org, created: true, apiToken: secret };
}

/**
 * A new admin token, printed once by `controlplane bootstrap --admin`: the way to the first organisation
 * of a deployment over the API. Each call makes another (an operator with database access is trusted
 * already); revoke spares with `cairn token revoke`.
 */
export async function bootstrapAdmin(core: ControlPlaneCore, tokenName = 'bootstrap-admin'): Promise<string> {
  return (await core.apiTokens.create(null, { name: tokenName, kind: 'admin' })).secret;
}

/** A principal acting for an organisation without an API token (startup tasks of the operator). */
export function operatorPrincipal(orgId: string): Principal {
  return { orgId, tokenId: '00000000-0000-0000-0000-000000000000', kind: 'user', subject: 'cairn-operator' };
}
