import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ensureDebianPackages } from './apt.js';
import { freePorts, type LoggedProcess, spawnLogged, waitUntil, withLogTails } from './logged-process.js';
import type { RunningServer } from './server.js';

const run = promisify(execFile);

/** An S3 endpoint served by OpenStack Swift's s3api middleware, with the credentials of its one test user. */
export interface SwiftInfo {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** A user of the same Swift account without the admin role: it may not touch the admin's buckets. */
  readonly unprivileged: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export const SWIFT_PACKAGES = [
  'swift',
  'swift-proxy',
  'swift-account',
  'swift-container',
  'swift-object',
  'memcached',
] as const;

const REGION = 'us-east-1';
const USER = { account: 'test', name: 'tester', key: 'testing' } as const;
const UNPRIVILEGED_USER = { account: 'test', name: 'outsider', key: 'outsider-key' } as const;
const STORAGE_SERVERS = ['account', 'container', 'object'] as const;
type StorageServer = (typeof STORAGE_SERVERS)[number];

interface SwiftPorts {
  readonly memcached: number;
  readonly proxy: number;
  readonly account: number;
  readonly container: number;
  readonly object: number;
}

/**
 * Starts a one-node Swift (account, container and object servers, a proxy with s3api and tempauth, and a
 * memcached for tempauth) on free 127.0.0.1 ports with everything — config, rings, data, logs — in one
 * temp dir. Resolves once an S3 ListBuckets call succeeds.
 */
export async function startSwift(): Promise<RunningServer<SwiftInfo>> {
  await ensureDebianPackages(SWIFT_PACKAGES);
  const dir = await mkdtemp(join(tmpdir(), 'cairn-swift-'));
  const processes: LoggedProcess[] = [];
  const stop = async () => {
    await Promise.allSettled(processes.map((child) => child.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [memcached, proxy, account, container, object] = await freePorts(5);
    if (!memcached || !proxy || !account || !container || !object) throw new Error('no free ports');
    const ports: SwiftPorts = { memcached, proxy, account, container, object };
    await writeSwiftTree(dir, ports);
    processes.push(
      await spawnLogged(
        'memcached',
        'memcached',
        ['-u', 'nobody', '-l', '127.0.0.1', '-p', String(ports.memcached), '-U', '0'],
        join(dir, 'logs', 'memcached.log'),
      ),
    );
    for (const server of [...STORAGE_SERVERS, 'proxy'] as const) {
      processes.push(
        await spawnLogged(
          `swift-${server}-server`,
          `swift-${server}-server`,
          [join(dir, `${server}-server.conf`), '-v'],
          join(dir, 'logs', `${server}-server.log`),
        ),
      );
    }
    const info: SwiftInfo = {
      endpoint: `http://127.0.0.1:${ports.proxy}`,
      region: REGION,
      accessKeyId: `${USER.account}:${USER.name}`,
      secretAccessKey: USER.key,
      unprivileged: {
        accessKeyId: `${UNPRIVILEGED_USER.account}:${UNPRIVILEGED_USER.name}`,
        secretAccessKey: UNPRIVILEGED_USER.key,
      },
    };
    await waitUntil('the Swift proxy /healthcheck', () => healthy(info.endpoint), processes, 60_000);
    await waitUntil(
      'an S3 round trip through Swift (bucket and object made and removed)',
      () => storesAnObject(info),
      processes,
      60_000,
    );
    return { info, stop };
  } catch (error) {
    const reported = await withLogTails(error, processes);
    await stop();
    throw reported;
  }
}

/** Writes swift.conf, rings and server configs into `dir`. */
async function writeSwiftTree(dir: string, ports: SwiftPorts): Promise<void> {
  await mkdir(join(dir, 'node', 'sdb1'), { recursive: true });
  await mkdir(join(dir, 'cache'));
  await mkdir(join(dir, 'logs'));
  await writeFile(join(dir, 'swift.conf'), swiftConf());
  await buildRings(dir, ports);
  for (const server of STORAGE_SERVERS) {
    await writeFile(join(dir, `${server}-server.conf`), storageServerConf(dir, server, ports[server]));
  }
  await writeFile(join(dir, 'proxy-server.conf'), proxyConf(dir, ports));
  // Started as root, the servers drop to the `swift` user, which must own the devices and the cache.
  if (isRoot()) await run('chown', ['-R', 'swift:', dir]);
}

/** Root runs the servers as the package's `swift` user; anyone else runs them as themselves. */
function isRoot(): boolean {
  return process.getuid?.() === 0;
}

// One python process builds all three rings (each swift-ring-builder call pays seconds of start-up):
// partition power 6 keeps rebalancing instant; one replica on one device per ring.
const BUILD_RINGS = `
import json, sys
from swift.common.ring import RingBuilder
swift_dir, ports = sys.argv[1], json.loads(sys.argv[2])
for name, port in ports.items():
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': port,
                     'device': 'sdb1', 'weight': 1, 'meta': ''})
    builder.rebalance()
    builder.get_ring().save('%s/%s.ring.gz' % (swift_dir, name))
`;

async function buildRings(dir: string, ports: SwiftPorts): Promise<void> {
  const ringPorts = Object.fromEntries(STORAGE_SERVERS.map((server) => [server, ports[server]]));
  // Debian's python, which has the swift package (a PATH python3 may be another one).
  await run('/usr/bin/python3', ['-c', BUILD_RINGS, dir, JSON.stringify(ringPorts)]);
}

function swiftConf(): string {
  return `[swift-hash]
swift_hash_path_prefix = ${randomBytes(8).toString('hex')}
swift_hash_path_suffix = ${randomBytes(8).toString('hex')}

[storage-policy:0]
name = Policy-0
default = yes
`;
}

function commonConf(dir: string, port: number, name: string): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
swift_dir = ${dir}
user = ${isRoot() ? 'swift' : userInfo().username}
workers = 1
log_name = ${name}
`;
}

function storageServerConf(dir: string, server: StorageServer, port: number): string {
  return `${commonConf(dir, port, `${server}-server`)}devices = ${join(dir, 'node')}
mount_check = false
disable_fallocate = true
recon_cache_path = ${join(dir, 'cache')}

[pipeline:main]
pipeline = ${server}-server

[app:${server}-server]
use = egg:swift#${server}
`;
}

function proxyConf(dir: string, ports: SwiftPorts): string {
  return `${commonConf(dir, ports.proxy, 'proxy-server')}
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${ports.memcached}

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:s3api]
use = egg:swift#s3api
location = ${REGION}

[filter:tempauth]
use = egg:swift#tempauth
user_${USER.account}_${USER.name} = ${USER.key} .admin
user_${UNPRIVILEGED_USER.account}_${UNPRIVILEGED_USER.name} = ${UNPRIVILEGED_USER.key}

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo
`;
}

async function healthy(endpoint: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/healthcheck`, { signal: AbortSignal.timeout(2_000) });
  return response.ok && (await response.text()).trim() === 'OK';
}

/**
 * Whether Swift serves S3 end to end: a bucket and an object made and removed. A ListBuckets answer alone
 * needs only the proxy and the account server; a test's first CreateBucket, right after, then failed
 * InternalError on a loaded CI machine, the container or object server not serving yet.
 */
async function storesAnObject(info: SwiftInfo): Promise<boolean> {
  const client = new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
  const Bucket = `cairn-ready-${randomBytes(6).toString('hex')}`;
  const options = { abortSignal: AbortSignal.timeout(10_000) };
  try {
    await client.send(new CreateBucketCommand({ Bucket }), options);
    await client.send(new PutObjectCommand({ Bucket, Key: 'probe', Body: 'ready' }), options);
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'probe' }), options);
    await client.send(new DeleteBucketCommand({ Bucket }), options);
    return true;
  } finally {
    client.destroy();
  }
}
