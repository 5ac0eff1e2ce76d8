import { inject } from 'vitest';
import { describeProviderConformance, MiB } from '../testing/conformance/index.js';
import { SwiftInspection } from '../testing/inspect/swift.js';
import { awsS3Provider } from './provider.js';

describeProviderConformance(
  'aws-s3 (OpenStack Swift s3api)',
  async () => {
    const info = inject('testServers').s3;
    const inspection = await SwiftInspection.withNewBucket(info, 'evidence/');
    const createDriver = () =>
      awsS3Provider.createDriver({
        location: awsS3Provider.parseLocation(`${inspection.bucket}/evidence`),
        credentials: awsS3Provider.parseCredentials({
          endpoint: info.endpoint,
          region: info.region,
          accessKeyId: info.accessKeyId,
          secretAccessKey: info.secretAccessKey,
        }),
      });
    return {
      driver: await createDriver(),
      anotherProcess: createDriver,
      listVisible: () => inspection.visibleDigests(),
      leftovers: () => inspection.leftovers(),
      corrupt: (hex) => inspection.corrupt(`evidence/sha256/${hex}`),
      teardown: () => inspection.deleteBucket(),
    };
  },
  { checkpointEvery: 8 * MiB },
);
