import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Account {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Creates a bucket, as an operator does before registering an S3 backend (Cairn never creates buckets). */
export async function createBucket(account: S3Account, bucket: string, signal: AbortSignal): Promise<void> {
  const client = new S3Client({
    endpoint: account.endpoint,
    region: account.region,
    forcePathStyle: true,
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
    // S3-compatible servers such as Swift refuse the SDK's default checksum trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: signal });
  } finally {
    client.destroy();
  }
}
