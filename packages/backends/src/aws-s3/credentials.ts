// zod/mini: see core/credential-fields.ts.
import * as z from 'zod/mini';
import { endpoint, flag, matching, parseCredentialFields, text } from '../core/credential-fields.js';

/** Credentials of an `aws-s3` backend: an access key pair, a region, and for S3-compatible servers an endpoint. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** An S3-compatible server's URL; when set, requests use path-style addressing unless told otherwise. */
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
}

const SHAPE = {
  what: 'aws-s3 credentials',
  need: 'accessKeyId, secretAccessKey and region',
  optional: ['endpoint', 'forcePathStyle'],
};

const SCHEMA = z.strictObject({
  accessKeyId: text(),
  secretAccessKey: text(),
  region: matching(/^[a-z0-9-]{1,64}$/, 'must look like "us-east-1"'),
  endpoint: z.optional(endpoint()),
  forcePathStyle: z.optional(flag()),
});

export function parseS3Credentials(raw: unknown): S3Credentials {
  const { endpoint, forcePathStyle, ...keys } = parseCredentialFields(raw, SHAPE, SCHEMA);
  return {
    ...keys,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(forcePathStyle === undefined ? {} : { forcePathStyle }),
  };
}
