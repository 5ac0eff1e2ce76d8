import { randomUUID } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { type DataStore, isUniqueViolation, type Organization } from '../data/index.js';
import { parseDnsLabel } from './names.js';

/** The inline backend's cap: evidence embedded in an attestation stays small. */
export const INLINE_MAX_BYTES = 500 * 1024;
export const INLINE_BACKEND_NAME = 'inline';

export class Organizations {
  constructor(private readonly store: DataStore) {}

  /** Creates an organisation together with its inline backend, which starts as the default. */
  async create(name: string): Promise<Organization> {
    parseDnsLabel(name, 'the organisation name');
    try {
      return await this.store.transaction(async (tx) => {
        const org = await tx.organizations.insert({ id: randomUUID(), name });
        await tx.backends.insert({
          id: randomUUID(),
          orgId: org.id,
          name: INLINE_BACKEND_NAME,
          provider: 'inline',
          location: '',
          description: 'Evidence embedded in the attestation',
          isDefault: true,
          isFallback: false,
          maxBytes: INLINE_MAX_BYTES,
          secretRef: null,
          // Nothing to check: the inline backend is the database itself.
          validationStatus: 'ok',
          validationError: null,
          validatedAt: new Date(),
        });
        return org;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new CairnError(
          Code.AlreadyExists,
          `an organisation named "${name}" exists already; pick another name`,
        );
      }
      throw error;
    }
  }

  findByName(name: string): Promise<Organization | undefined> {
    return this.store.organizations.findByName(name);
  }

  findById(id: string): Promise<Organization | undefined> {
    return this.store.organizations.findById(id);
  }
}
