import type { RunningServer } from './server.js';

// Placeholder until the provider's server harness lands.
export type AzuriteInfo = Record<string, string>;

export async function startAzurite(): Promise<RunningServer<AzuriteInfo>> {
  throw new Error('the azurite test server is not written yet');
}
