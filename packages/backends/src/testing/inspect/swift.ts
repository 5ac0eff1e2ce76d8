import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { SwiftInfo } from '../servers/swift.js';

/**
 * Looks at the Swift test server directly (S3 calls with its admin user, and Swift's own API where S3 has
 * no view), never through the driver under test.
 */
export class SwiftInspection {
  readonly client: S3Client;

  constructor(
    readonly info: SwiftInfo,
    readonly bucket: string,
    readonly prefix: string,
  ) {
    this.client = new S3Client({
      endpoint: info.endpoint,
      region: info.region,
      forcePathStyle: true,
      credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** A new bucket with a random name. */
  static async withNewBucket(info: SwiftInfo, prefix: string): Promise<SwiftInspection> {
    const inspection = new SwiftInspection(info, `cairn-test-${randomBytes(6).toString('hex')}`, prefix);
    await inspection.client.send(new CreateBucketCommand({ Bucket: inspection.bucket }));
    return inspection;
  }

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  /** Hex digests of the objects under `<prefix>sha256/`. */
  async visibleDigests(): Promise<string[]> {
    const base = `${this.prefix}sha256/`;
    return (await this.keys(base)).map((key) => key.slice(base.length));
  }

  /** Multipart uploads in progress under the prefix. */
  async multipartUploads(): Promise<{ key: string; uploadId: string }[]> {
    const page = await this.client.send(
      new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix }),
    );
    return (page.Uploads ?? []).map((upload) => ({ key: upload.Key ?? '', uploadId: upload.UploadId ?? '' }));
  }

  /** In-progress multipart uploads and probe objects, by name. */
  async leftovers(): Promise<string[]> {
    const uploads = (await this.multipartUploads()).map(({ key }) => `multipart upload of ${key}`);
    const probes = (await this.keys(`${this.prefix}.cairn-probe/`)).map((key) => `probe object ${key}`);
    const checkpoints = (await this.keys(`${this.prefix}.cairn-uploads/`)).map(
      (key) => `upload checkpoint ${key}`,
    );
    return [...uploads, ...probes, ...checkpoints];
  }

  /**
   * Names in Swift's `<bucket>+segments` container under `key`: where s3api keeps the parts of multipart
   * uploads (in progress, or of completed objects). S3 cannot list it.
   */
  async segments(key: string): Promise<string[]> {
    const auth = await fetch(`${this.info.endpoint}/auth/v1.0`, {
      headers: { 'X-Auth-User': this.info.accessKeyId, 'X-Auth-Key': this.info.secretAccessKey },
    });
    const storageUrl = auth.headers.get('x-storage-url');
    const token = auth.headers.get('x-auth-token');
    await auth.body?.cancel();
    if (!auth.ok || !storageUrl || !token) throw new Error(`Swift auth failed with ${auth.status}`);
    const url = `${storageUrl}/${this.bucket}+segments?format=json&prefix=${encodeURIComponent(`${key}/`)}`;
    const listing = await fetch(url, { headers: { 'X-Auth-Token': token } });
    if (listing.status === 404) return [];
    if (!listing.ok) throw new Error(`listing the segments container failed with ${listing.status}`);
    const entries = (await listing.json()) as { name: string }[];
    return entries.map((entry) => entry.name);
  }

  /** Replaces a stored object by the same bytes with the middle one inverted. */
  async corrupt(key: string): Promise<void> {
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    const middle = Math.floor(bytes.byteLength / 2);
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, Metadata: head.Metadata ?? {} }),
    );
  }

  /** Removes every object and upload, then the bucket; best effort (the server's temp dir goes anyway). */
  async deleteBucket(): Promise<void> {
    try {
      for (const { key, uploadId } of await this.multipartUploads()) {
        await this.client.send(
          new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
        );
      }
      for (const key of await this.keys('')) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      }
      await this.client.send(new DeleteBucketCommand({ Bucket: this.bucket }));
    } catch {
      // Left for the server's teardown.
    } finally {
      this.client.destroy();
    }
  }
}
