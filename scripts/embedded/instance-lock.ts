import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FolderLock, holderIsGone, type LockHolder } from '@cairn/controlplane/folder-lock';
import { CairnError, Code } from '@cairn/errors';
import type { EmbeddedLayout } from './layout.js';

/** How long a new start waits for the services of a start script that died without stopping them. */
const ORPHANS_WAIT_MS = 45_000;

/** Where a running Cairn listens, as its lock file tells. */
interface RunningAddresses {
  readonly controlPlane: { readonly grpc: string; readonly http: string };
  readonly cas: { readonly grpc: string; readonly http: string };
}

/**
 * One `npm start` per `.cairn/`: takes the lock on `.cairn/cairn.lock` (see FolderLock) before anything
 * else is created or read. The start script records its addresses and services in it, and hands the
 * descriptor to its services, so the folder stays locked until the last of them has exited.
 *
 * A lock held by a running start script refuses at once (CairnError FAILED_PRECONDITION, reason
 * `already_running`, one line naming its pid, addresses and how to stop it). A lock held only by services
 * whose start script is gone (it was killed with -9) is waited for: they notice and stop by themselves.
 */
export async function lockEmbeddedHome(
  layout: EmbeddedLayout,
  options: { readonly waitMs?: number; readonly onWait?: (line: string) => void } = {},
): Promise<FolderLock> {
  // The folder itself must exist to hold the lock file; ensureEmbeddedHome fills it once the lock is ours.
  await mkdir(layout.home, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + (options.waitMs ?? ORPHANS_WAIT_MS);
  let told = false;
  for (;;) {
    const attempt = await FolderLock.tryAcquire(layout.lockFile, { folder: layout.home });
    if (attempt.acquired) return attempt.lock;
    const { holder } = attempt;
    const orphaned = holder !== undefined && holderIsGone(holder);
    if (!orphaned || Date.now() >= deadline) throw refusal(layout, holder, orphaned);
    if (!told) {
      told = true;
      options.onWait?.(
        `cairn: waiting for the services of the last run in ${layout.home} to stop (its start script, pid ${holder.pid}, has ended)`,
      );
    }
    await sleep(100);
  }
}

function refusal(layout: EmbeddedLayout, holder: LockHolder | undefined, orphaned: boolean): CairnError {
  const folder = dirname(layout.home);
  const details = { reason: 'already_running', folder: layout.home };
  if (!holder) {
    return new CairnError(
      Code.FailedPrecondition,
      `Cairn is already running in ${folder} (${layout.lockFile} is locked, by a process that has not written its pid yet); stop the other npm start there first`,
      { details },
    );
  }
  if (orphaned) {
    const services = servicePids(holder);
    const stop = services.length > 0 ? `stop them with \`kill ${services.join(' ')}\`` : 'stop them';
    return new CairnError(
      Code.FailedPrecondition,
      `the services of the last Cairn in ${folder} are still running though its start script (pid ${holder.pid}) has ended; ${stop}, then run npm start again`,
      { details: { ...details, pid: String(holder.pid) } },
    );
  }
  const host = holder.host === hostname() ? '' : ` on ${holder.host}`;
  const addresses = addressesOf(holder);
  const where = addresses
    ? `control plane gRPC ${addresses.controlPlane.grpc} HTTP ${addresses.controlPlane.http}, artifact CAS gRPC ${addresses.cas.grpc} HTTP ${addresses.cas.http}`
    : 'still starting, addresses not known yet';
  return new CairnError(
    Code.FailedPrecondition,
    `Cairn is already running in ${folder} (pid ${holder.pid}${host}, since ${holder.startedAt}): ${where}; stop it with Ctrl-C in its terminal or \`kill ${holder.pid}\`, then run npm start again`,
    { details: { ...details, pid: String(holder.pid) } },
  );
}

/** The addresses a running start script recorded, if it got that far. */
function addressesOf(holder: LockHolder): RunningAddresses | undefined {
  const pair = (value: unknown) => {
    if (!value || typeof value !== 'object') return undefined;
    const { grpc, http } = value as Record<string, unknown>;
    return typeof grpc === 'string' && typeof http === 'string' ? { grpc, http } : undefined;
  };
  const controlPlane = pair(holder.controlPlane);
  const cas = pair(holder.cas);
  return controlPlane && cas ? { controlPlane, cas } : undefined;
}

function servicePids(holder: LockHolder): number[] {
  const services = holder.services;
  if (!services || typeof services !== 'object') return [];
  return Object.values(services).filter((pid): pid is number => Number.isSafeInteger(pid));
}
