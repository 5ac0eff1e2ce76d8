import { CairnError, Code } from '@cairn/errors';
// zod/mini: see core/credential-fields.ts.
import * as z from 'zod/mini';
import {
  credentialRecord,
  endpoint,
  matching,
  parseCredentialFields,
  text,
} from '../core/credential-fields.js';

/** A storage account's shared key, as Azurite and `az storage account keys list` give it. */
export interface AzureSharedKeyCredentials {
  readonly kind: 'shared-key';
  readonly accountName: string;
  readonly accountKey: string;
  /** The blob service URL; default `https://<accountName>.blob.core.windows.net`. */
  readonly endpoint?: string;
}

/** A Microsoft Entra service principal with a client secret, granted a data role on the account. */
export interface AzureServicePrincipalCredentials {
  readonly kind: 'service-principal';
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly accountName: string;
  readonly endpoint?: string;
  /** The Entra authority for national clouds, e.g. `https://login.chinacloudapi.cn`. */
  readonly authorityHost?: string;
}

export type AzureCredentials = AzureSharedKeyCredentials | AzureServicePrincipalCredentials;

const SHAPE = {
  what: 'azure-blob credentials',
  need: "accountName and either accountKey (a shared key) or a service principal's tenantId, clientId and clientSecret",
  optional: ['endpoint', 'authorityHost'],
};

const ACCOUNT = {
  accountName: matching(/^[a-z0-9]{3,24}$/, 'must be 3-24 lower-case letters and digits'),
  endpoint: z.optional(endpoint()),
  /** The Entra authority for national clouds; read with either way to sign in, used by one. */
  authorityHost: z.optional(endpoint()),
};
const SHARED_KEY = z.strictObject({
  ...ACCOUNT,
  accountKey: matching(/^[A-Za-z0-9+/]+={0,2}$/, 'must be the base64 key of the account'),
});
const SERVICE_PRINCIPAL = z.strictObject({
  ...ACCOUNT,
  tenantId: text(),
  clientId: text(),
  clientSecret: text(),
});
const PRINCIPAL_FIELDS = ['tenantId', 'clientId', 'clientSecret'];

/**
 * Shared-key or service-principal credentials, chosen by the fields present: mixing the two is refused,
 * and with neither the message says what either would take.
 */
export function parseAzureCredentials(raw: unknown): AzureCredentials {
  const record = credentialRecord(raw, SHAPE);
  const usesKey = record.accountKey !== undefined;
  const usesPrincipal = PRINCIPAL_FIELDS.some((field) => record[field] !== undefined);
  if (usesKey && usesPrincipal) {
    throw new CairnError(
      Code.InvalidArgument,
      `${SHAPE.what} must hold either "accountKey" or a service principal ("tenantId", "clientId", "clientSecret"), not both; remove one`,
    );
  }
  if (usesKey) {
    const { endpoint, accountName, accountKey } = parseCredentialFields(record, SHAPE, SHARED_KEY);
    return { kind: 'shared-key', accountName, accountKey, ...(endpoint === undefined ? {} : { endpoint }) };
  }
  if (!usesPrincipal) {
    // Neither way to sign in given: say what either would take.
    parseCredentialFields(record, SHAPE, z.strictObject(ACCOUNT), [
      `accountKey or ${PRINCIPAL_FIELDS.join('/')}`,
    ]);
  }
  const { endpoint, authorityHost, ...principal } = parseCredentialFields(record, SHAPE, SERVICE_PRINCIPAL);
  return {
    kind: 'service-principal',
    ...principal,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(authorityHost === undefined ? {} : { authorityHost }),
  };
}
