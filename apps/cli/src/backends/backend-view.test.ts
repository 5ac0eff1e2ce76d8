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
    maxBytes: 1024n ** 3n,
    ...fields,
  };
}

describe('backendTable', () => {
  it('puts the default first, then the fallback, shows limits, and points at --full for failures', () => {
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
        maxBytes: 500n * 1024n ** 2n,
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
      'NAME   LOCATION                PROVIDER    DESCRIPTION  LIMITS       DEFAULT  FALLBACK  STATUS',
      'main   /srv/blobs              filesystem               max 1 GiB    yes      no        ok',
      'spare  bucket/prefix           aws-s3                   max 500 MiB  no       yes       pending',
      'zeta   registry.example/cairn  oci                      max 1 GiB    no       no        failed',
      '',
      'validation failed for zeta: see why with `cairn cas-backend list --full`',
    ]);
    expect(backendTable(views, true).split('\n')[3]).toBe(
      'zeta   registry.example/cairn  oci                      max 1 GiB    no       no        failed   2025-03-01T10:20:30Z  the registry refused the credentials',
    );
    expect(views[0]).toMatchObject({
      validation: {
        status: 'failed',
        error: 'the registry refused the credentials',
        at: '2025-03-01T10:20:30Z',
      },
    });
  });
});
