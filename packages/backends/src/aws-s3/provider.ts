import type { Provider } from '../core/provider.js';
import { formatObjectLocation, parseObjectLocation } from '../object-store/location.js';
import { parseS3Credentials, type S3Credentials } from './credentials.js';
import type { S3DriverOptions } from './driver.js';

const BUCKET_NAMING = {
  noun: 'bucket',
  pattern: /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  rules: '3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit',
} as const;

/** The `aws-s3` provider: AWS S3 or any S3-compatible server. Location: `bucket` or `bucket/prefix`. */
export function createAwsS3Provider(options: S3DriverOptions = {}): Provider<S3Credentials> {
  return {
    kind: 'aws-s3',
    parseLocation: (location) => formatObjectLocation(parseObjectLocation(location, BUCKET_NAMING)),
    parseCredentials: parseS3Credentials,
    async createDriver({ location, credentials }) {
      const { S3Driver } = await import('./driver.js');
      return new S3Driver(parseObjectLocation(location, BUCKET_NAMING), credentials, options);
    },
  };
}

export const awsS3Provider: Provider<S3Credentials> = createAwsS3Provider();
