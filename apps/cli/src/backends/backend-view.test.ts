import { ValidationStatus } from '@cairn/api';
import { describe, expect, it } from 'vitest';
import { type BackendMessage, backendTable, backendView } from './backend-view.js';

const at = { seconds: BigInt(Date.parse('2025-03-01T10:20:30Z') / 1000) };

function backend(fields: Partial<BackendMessage>): BackendMessage {
  return {
    name: '',
    provider: '',
    location: '',
    description: '',
    isDefault: false,
    isFallback: false,
    inline: false,
    validationStatus: ValidationStatus.UNSPECIFIED,
    validationError: '',
    maxBytes: 0n,
    ...fields,
  };
}

describe('backendTable', () => {
  it('puts the default first, then the fallback, and explains failed validations below', () => {
    const views = [
      backend({
        name: 'zeta',
        provider: 'oci',
        location: 'registry.example/cairn',
        validationStatus: ValidationStatus.FAILED,
        validationError: 'the registry refused the credentials',
        validatedAt: at,
      }),
      backend({
        name: 'spare',
        provider: 'aws-s3',
        location: 'bucket/prefix',
        isFallback: true,
        validationStatus: ValidationStatus.PENDING,
      }),
      backend({
        name: 'main',
        provider: 'filesystem',
        location: '/srv/blobs',
        isDefault: true,
        validationStatus: ValidationStatus.OK,
        validatedAt: at,
      }),
    ].map(backendView);
    expect(backendTable(views).split('\n')).toEqual([
      'NAME   PROVIDER    ROLE      STATUS   VALIDATED             LOCATION',
      'main   filesystem  default   ok       2025-03-01T10:20:30Z  /srv/blobs',
      'spare  aws-s3      fallback  pending  -                     bucket/prefix',
      'zeta   oci         -         failed   2025-03-01T10:20:30Z  registry.example/cairn',
      '',
      'zeta: validation failed: the registry refused the credentials',
    ]);
    expect(views[0]).toMatchObject({
      validation: {
        status: 'failed',
        error: 'the registry refused the credentials',
        at: '2025-03-01T10:20:30Z',
      },
    });
  });
});
