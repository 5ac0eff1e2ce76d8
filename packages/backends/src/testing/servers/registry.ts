import type { RunningServer } from './server.js';

// Placeholder until the provider's server harness lands.
export type RegistryInfo = Record<string, string>;

export async function startRegistries(): Promise<RunningServer<RegistryInfo>> {
  throw new Error('the registry test server is not written yet');
}
