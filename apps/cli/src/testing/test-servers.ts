import { startTestServers, type TestServers } from '@cairn/backends/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    testServers: TestServers;
  }
}

/**
 * Vitest global setup: the real storage servers (docker-registry, Swift with s3api, Azurite) that the
 * CLI's `cas-backend add` tests store into, installed when missing; a server that cannot start fails
 * the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = await startTestServers();
  project.provide('testServers', servers.info);
  return () => servers.stop();
}
