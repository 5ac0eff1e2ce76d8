import type { Provider } from '../core/provider.js';
import { openResumableSha256 } from '../core/resumable-sha256.js';
import { parseS3Credentials, type S3Credentials } from './credentials.js';
import type { S3DriverOptions } from './driver.js';
import { canonicalS3Location, parseS3Location } from './location.js';

/** The `aws-s3` provider: AWS S3 or any S3-compatible server. Location: `bucket` or `bucket/prefix`. */
export function createAwsS3Provider(options: S3DriverOptions = {}): Provider<S3Credentials> {
  return {
    kind: 'aws-s3',
    parseLocation: canonicalS3Location,
    parseCredentials: parseS3Credentials,
    async createDriver({ location, credentials }) {
      const { S3Driver } = await import('./driver.js');
      const sha = await openResumableSha256();
      return new S3Driver(parseS3Location(location), credentials, {
        ...('unavailable' in sha ? {} : { resumableSha256: sha }),
        ...options,
      });
    },
  };
}

export const awsS3Provider: Provider<S3Credentials> = createAwsS3Provider();
