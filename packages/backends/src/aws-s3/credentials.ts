import { CairnError, Code } from '@cairn/errors';
import {
  checkCredentialFields,
  optionalBoolean,
  optionalEndpoint,
  requiredString,
} from '../core/credential-fields.js';

/** Credentials of an `aws-s3` backend: an access key pair, a region, and for S3-compatible servers an endpoint. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** An S3-compatible server's URL; when set, requests use path-style addressing unless told otherwise. */
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
}

const WHAT = 'aws-s3 credentials';

const SHAPE = {
  what: WHAT,
  need: 'accessKeyId, secretAccessKey and region',
  required: ['accessKeyId', 'secretAccessKey', 'region'],
  optional: ['endpoint', 'forcePathStyle'],
} as const;

export function parseS3Credentials(raw: unknown): S3Credentials {
  const record = checkCredentialFields(raw, SHAPE);
  const region = requiredString(record, 'region', WHAT);
  if (!/^[a-z0-9-]{1,64}$/.test(region)) {
    throw new CairnError(Code.InvalidArgument, `${WHAT}: "region" must look like "us-east-1"`);
  }
  const endpoint = optionalEndpoint(record, 'endpoint', WHAT);
  const forcePathStyle = optionalBoolean(record, 'forcePathStyle', WHAT);
  return {
    accessKeyId: requiredString(record, 'accessKeyId', WHAT),
    secretAccessKey: requiredString(record, 'secretAccessKey', WHAT),
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(forcePathStyle === undefined ? {} : { forcePathStyle }),
  };
}
