import { type AzuriteInfo, startAzurite } from './azurite.js';
import { type RegistryInfo, startRegistries } from './registry.js';
import type { RunningServer } from './server.js';
import { type SwiftInfo, startSwift } from './swift.js';

// `@cairn/backends/testing`: the real servers other packages' tests start too.
export { type AzuriteInfo, startAzurite } from './azurite.js';
export { PORT_RANGES, portPicker } from './ports.js';
export {
  type RegistryAuth,
  type RegistryEndpoint,
  type RegistryInfo,
  type RegistryUser,
  startRegistries,
  startRegistry,
} from './registry.js';
export type { RunningServer } from './server.js';
export { type SwiftInfo, startSwift } from './swift.js';

/** Connection facts of every test server, as handed to tests through Vitest's `inject('testServers')`. */
export interface TestServers {
  readonly oci: RegistryInfo;
  readonly s3: SwiftInfo;
  readonly azure: AzuriteInfo;
}

/** Starts all test servers in parallel; if one fails, the others are stopped and the error is thrown. */
export async function startTestServers(): Promise<RunningServer<TestServers>> {
  const started = await Promise.allSettled([startRegistries(), startSwift(), startAzurite()]);
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = async () => {
    await Promise.allSettled(running.map((server) => server.stop()));
  };
  const [oci, s3, azure] = started;
  if (oci?.status !== 'fulfilled' || s3?.status !== 'fulfilled' || azure?.status !== 'fulfilled') {
    await stopAll();
    const reasons = started.flatMap((result) =>
      result.status === 'rejected' ? [String(result.reason)] : [],
    );
    throw new Error(`test servers failed to start:\n${reasons.join('\n')}`);
  }
  return { info: { oci: oci.value.info, s3: s3.value.info, azure: azure.value.info }, stop: stopAll };
}
