import { S3Client } from '@aws-sdk/client-s3';
import type { S3Credentials } from './credentials.js';

/**
 * An S3 client for one backend. Checksums only when an operation requires them: the SDK's default
 * aws-chunked uploads with a CRC trailer are refused or mangled by several S3-compatible servers, and
 * Cairn verifies every byte with sha256 itself.
 */
export function createS3Client(credentials: S3Credentials): S3Client {
  const { endpoint } = credentials;
  return new S3Client({
    region: credentials.region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    ...(endpoint === undefined ? {} : { endpoint }),
    forcePathStyle: credentials.forcePathStyle ?? endpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
}

/** Where requests go, for error messages (never carries credentials). */
export function endpointLabel(credentials: S3Credentials): string {
  return credentials.endpoint ?? `the AWS S3 endpoint of region ${credentials.region}`;
}
