import { join, resolve } from 'node:path';

/**
 * Everything the embedded default keeps, under `.cairn/` of the folder `npm start` runs in:
 *
 *   .cairn/                       0700
 *     cairn.lock                  0600  held by the running `npm start` and its services (one instance per
 *                                       folder); says who holds it: pid, start time, addresses, services
 *     dev-signing-key.json        0600  ES256 private JWK that signs development CAS tokens
 *     jwks.json                         its public JWKS; the CAS trusts it (tokens.keyFile)
 *     secret-store.key            0600  key of the file secret store (AES-256-GCM)
 *     secrets/                    0700  the file secret store: backend credentials, encrypted
 *     blobs/                      0700  the filesystem backend (sha256/<xx>/<hex>, .staging/)
 *     cas.json                          the CAS config: written once, then yours to edit
 *     controlplane.json                 the control plane config: written once, then yours to edit
 *     db/                               the control plane's PGlite database (unless DATABASE_URL is set);
 *                                       its cairn.lock admits one process at a time
 *     logs/                       0700  each service's log (<name>.log), appended across restarts
 *     cli.json                    0600  what the `cairn` CLI reads: addresses, dev signing grant, and the
 *                                       control plane's API token (written by the control plane)
 */
export class EmbeddedLayout {
  readonly home: string;
  readonly lockFile: string;
  readonly signingKeyFile: string;
  readonly jwksFile: string;
  readonly secretStoreKeyFile: string;
  readonly secretsDir: string;
  readonly blobsDir: string;
  readonly casConfigFile: string;
  readonly controlPlaneConfigFile: string;
  readonly cliConfigFile: string;

  constructor(projectDir: string) {
    this.home = join(resolve(projectDir), '.cairn');
    this.lockFile = join(this.home, 'cairn.lock');
    this.signingKeyFile = join(this.home, 'dev-signing-key.json');
    this.jwksFile = join(this.home, 'jwks.json');
    this.secretStoreKeyFile = join(this.home, 'secret-store.key');
    this.secretsDir = join(this.home, 'secrets');
    this.blobsDir = join(this.home, 'blobs');
    this.casConfigFile = join(this.home, 'cas.json');
    this.controlPlaneConfigFile = join(this.home, 'controlplane.json');
    this.cliConfigFile = join(this.home, 'cli.json');
  }
}

/** The development organisation and backend that `cairn dev token` may grant. */
export const DEV_GRANT = {
  issuer: 'cairn-dev',
  org: 'dev',
  backendId: 'dev-filesystem',
  /** Largest blob a development upload token allows: 10 GiB. */
  maxBytes: 10 * 1024 ** 3,
} as const;
