import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOrCreateSigningKey } from '@cairn/cas-token';
import type { CliConfig, DevConfig } from '../cli-config.js';

export interface DevHome {
  /** The folder holding `.cairn/`, where a user would run `cairn`. */
  readonly projectDir: string;
  readonly keyFile: string;
  readonly dev: DevConfig;
}

export interface DevHomeOptions {
  readonly cas?: CliConfig['cas'];
  readonly backend: DevConfig['backend'];
  /** An existing key (e.g. the one a test CAS trusts); default: a new key under `.cairn/`. */
  readonly keyFile?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * Lays out `.cairn/` as `npm start` does: a development signing key and a cli.json naming it, the
 * CAS's addresses and the backend the key may grant.
 */
export async function writeDevHome(projectDir: string, options: DevHomeOptions): Promise<DevHome> {
  const home = join(projectDir, '.cairn');
  await mkdir(home, { recursive: true });
  const keyFile = options.keyFile ?? join(home, 'dev-signing-key.json');
  await loadOrCreateSigningKey(keyFile);
  const dev: DevConfig = {
    signingKeyFile: keyFile,
    issuer: options.issuer ?? 'cairn-dev-test',
    audience: options.audience ?? 'cairn-artifact-cas',
    org: 'org-dev',
    backend: options.backend,
    secret: '',
    maxBytes: 1024 * 1024 * 1024,
  };
  const config: CliConfig = { ...(options.cas === undefined ? {} : { cas: options.cas }), dev };
  await writeFile(join(home, 'cli.json'), `${JSON.stringify(config, null, 2)}\n`);
  return { projectDir, keyFile, dev };
}
