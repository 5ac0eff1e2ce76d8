import { randomUUID } from 'node:crypto';

/** An HTTP answer of the KV version 2 engine: status and JSON body (none for 204). */
export interface Kv2Answer {
  readonly status: number;
  readonly body?: unknown;
}

interface Version {
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdTime: string;
  deletionTime: string;
}

interface Secret {
  currentVersion: number;
  readonly versions: Map<number, Version>;
  readonly createdTime: string;
  updatedTime: string;
}

/**
 * The in-memory state and rules of one KV version 2 mount, as Vault documents them: every write makes a
 * new version; `options.cas` must equal the current version (0 = must not exist); reading a missing or
 * deleted version is 404; deleting data soft-deletes the latest version; deleting metadata removes all.
 */
export class Kv2Engine {
  readonly #secrets = new Map<string, Secret>();

  constructor(private readonly casRequired: boolean) {}

  currentVersion(path: string): number | undefined {
    return this.#secrets.get(path)?.currentVersion;
  }

  write(path: string, body: unknown): Kv2Answer {
    const request = asObject(body);
    const data = asObject(request?.data);
    if (data === undefined) return failure(400, 'no data provided');
    const cas = asObject(request?.options)?.cas;
    if (cas !== undefined && typeof cas !== 'number') return failure(400, 'cas must be a number');
    const secret = this.#secrets.get(path);
    if (cas === undefined && this.casRequired)
      return failure(400, 'check-and-set parameter required for this call');
    if (cas !== undefined && cas !== (secret?.currentVersion ?? 0)) {
      return failure(400, 'check-and-set parameter did not match the current version');
    }
    const now = new Date().toISOString();
    const stored = secret ?? { currentVersion: 0, versions: new Map(), createdTime: now, updatedTime: now };
    stored.currentVersion += 1;
    stored.updatedTime = now;
    stored.versions.set(stored.currentVersion, {
      data: structuredClone(data),
      createdTime: now,
      deletionTime: '',
    });
    this.#secrets.set(path, stored);
    return answer(200, versionMetadata(stored.currentVersion, now, ''));
  }

  read(path: string, requestedVersion: number | undefined): Kv2Answer {
    const secret = this.#secrets.get(path);
    const number =
      requestedVersion === undefined || requestedVersion === 0 ? secret?.currentVersion : requestedVersion;
    const version = number === undefined ? undefined : secret?.versions.get(number);
    if (number === undefined || version === undefined) return failure(404);
    const metadata = versionMetadata(number, version.createdTime, version.deletionTime);
    // Vault answers a deleted version with 404 and the metadata, but no data and no errors.
    if (version.deletionTime !== '') return answer(404, { data: null, metadata });
    return answer(200, { data: structuredClone(version.data), metadata });
  }

  deleteLatest(path: string): Kv2Answer {
    const secret = this.#secrets.get(path);
    const latest = secret?.versions.get(secret.currentVersion);
    if (latest !== undefined && latest.deletionTime === '') latest.deletionTime = new Date().toISOString();
    return { status: 204 };
  }

  readMetadata(path: string): Kv2Answer {
    const secret = this.#secrets.get(path);
    if (secret === undefined) return failure(404);
    const versions = Object.fromEntries(
      [...secret.versions].map(([number, version]) => [
        String(number),
        { created_time: version.createdTime, deletion_time: version.deletionTime, destroyed: false },
      ]),
    );
    return answer(200, {
      cas_required: this.casRequired,
      created_time: secret.createdTime,
      current_version: secret.currentVersion,
      custom_metadata: null,
      max_versions: 0,
      oldest_version: Math.min(...secret.versions.keys()),
      updated_time: secret.updatedTime,
      versions,
    });
  }

  deleteMetadata(path: string): Kv2Answer {
    this.#secrets.delete(path);
    return { status: 204 };
  }
}

/** Vault's error body: `{ errors: [...] }`; a plain "not found" has an empty list. */
export function failure(status: number, ...errors: string[]): Kv2Answer {
  return { status, body: { errors } };
}

/** Vault's response envelope around `data`. */
function answer(status: number, data: unknown): Kv2Answer {
  return {
    status,
    body: {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data,
      wrap_info: null,
      warnings: null,
      auth: null,
      mount_type: 'kv',
    },
  };
}

function versionMetadata(
  version: number,
  createdTime: string,
  deletionTime: string,
): Record<string, unknown> {
  return {
    created_time: createdTime,
    custom_metadata: null,
    deletion_time: deletionTime,
    destroyed: false,
    version,
  };
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
