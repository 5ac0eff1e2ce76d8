import { CairnError, Code } from '@cairn/errors';
import type { CasBackend, Repositories } from '../data/index.js';

/** A backend of the organisation, soft-deleted ones included (runs and blobs keep pointing at them). */
export async function backendById(
  store: Repositories,
  orgId: string,
  backendId: string,
): Promise<CasBackend> {
  const backend = await store.backends.find(orgId, backendId, { includeDeleted: true });
  if (!backend) throw new CairnError(Code.Internal, `backend ${backendId} is missing from the database`);
  return backend;
}
