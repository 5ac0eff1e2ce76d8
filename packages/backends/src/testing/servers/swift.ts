import type { RunningServer } from './server.js';

// Placeholder until the provider's server harness lands.
export type SwiftInfo = Record<string, string>;

export async function startSwift(): Promise<RunningServer<SwiftInfo>> {
  throw new Error('the swift test server is not written yet');
}
