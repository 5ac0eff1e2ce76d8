import { CairnError, Code } from '@cairn/errors';
import {
  type CredentialShape,
  credentialsMessage,
  fieldProblems,
  optionalEndpoint,
  requiredString,
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

const WHAT = 'azure-blob credentials';

const SHARED_KEY = ['accountKey'];
const SERVICE_PRINCIPAL = ['tenantId', 'clientId', 'clientSecret'];
const SHAPE: CredentialShape = {
  what: WHAT,
  need: "accountName and either accountKey (a shared key) or a service principal's tenantId, clientId and clientSecret",
  required: ['accountName'],
  optional: ['endpoint', 'authorityHost'],
};

export function parseAzureCredentials(raw: unknown): AzureCredentials {
  const record = checkShape(raw);
  const accountName = requiredString(record, 'accountName', WHAT);
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
    throw new CairnError(
      Code.InvalidArgument,
      `${WHAT}: "accountName" must be 3-24 lower-case letters and digits`,
    );
  }
  const endpoint = optionalEndpoint(record, 'endpoint', WHAT);
  const withEndpoint = endpoint === undefined ? {} : { endpoint };
  if (record.accountKey !== undefined) {
    const accountKey = requiredString(record, 'accountKey', WHAT);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) {
      throw new CairnError(
        Code.InvalidArgument,
        `${WHAT}: "accountKey" must be the base64 key of the account`,
      );
    }
    return { kind: 'shared-key', accountName, accountKey, ...withEndpoint };
  }
  const authorityHost = optionalEndpoint(record, 'authorityHost', WHAT);
  const tenantId = requiredString(record, 'tenantId', WHAT);
  return {
    kind: 'service-principal',
    tenantId,
    clientId: requiredString(record, 'clientId', WHAT),
    clientSecret: requiredString(record, 'clientSecret', WHAT),
    accountName,
    ...withEndpoint,
    ...(authorityHost === undefined ? {} : { authorityHost }),
  };
}

/**
 * The record, once it holds accountName and exactly one way to sign in, every field of it present, and
 * nothing unknown; otherwise one INVALID_ARGUMENT listing every field that is missing, not text or unknown.
 */
function checkShape(raw: unknown): Readonly<Record<string, unknown>> {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new CairnError(
      Code.InvalidArgument,
      `${WHAT} need ${SHAPE.need}, as the fields of one object of strings`,
    );
  }
  const record = (raw ?? {}) as Readonly<Record<string, unknown>>;
  const present = (field: string) => record[field] !== undefined;
  const usesKey = SHARED_KEY.some(present);
  const usesPrincipal = SERVICE_PRINCIPAL.some(present);
  if (usesKey && usesPrincipal) {
    throw new CairnError(
      Code.InvalidArgument,
      `${WHAT} must hold either "accountKey" or a service principal ("tenantId", "clientId", "clientSecret"), not both; remove one`,
    );
  }
  const required = [...SHAPE.required, ...(usesKey ? SHARED_KEY : usesPrincipal ? SERVICE_PRINCIPAL : [])];
  const known = [...SHAPE.required, ...SHARED_KEY, ...SERVICE_PRINCIPAL, ...SHAPE.optional];
  // Neither way to sign in given: say what either would take.
  const choice = usesKey || usesPrincipal ? [] : [`accountKey or ${SERVICE_PRINCIPAL.join('/')}`];
  const problems = fieldProblems(record, required, known, choice);
  if (problems !== '') throw new CairnError(Code.InvalidArgument, credentialsMessage(SHAPE, problems));
  return record;
}
