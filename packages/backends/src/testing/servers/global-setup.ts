import type { TestProject } from 'vitest/node';
import { startTestServers, type TestServers } from './index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testServers: TestServers;
  }
}

/**
 * Vitest global setup: installs (when missing) and starts every real server the provider tests need,
 * once per run, and stops them at the end. A server that cannot start fails the run; nothing is skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = await startTestServers();
  project.provide('testServers', servers.info);
  return () => servers.stop();
}
