import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { filesystemProvider } from './provider.js';

async function failure(run: Promise<unknown> | (() => unknown)): Promise<CairnError> {
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('filesystem provider', () => {
  it('takes absolute directory paths, normalised, and refuses anything else', async () => {
    expect(filesystemProvider.parseLocation('/var/lib//cairn/./blobs/')).toBe('/var/lib/cairn/blobs');
    expect(filesystemProvider.parseLocation('/srv/cairn')).toBe('/srv/cairn');
    for (const location of [
      '',
      'relative/dir',
      './blobs',
      '/srv/../etc',
      '/srv/cairn/..',
      '/',
      '//',
      '/a\0b',
    ]) {
      const error = await failure(() => filesystemProvider.parseLocation(location));
      expect(error.code, location).toBe(Code.InvalidArgument);
    }
    expect((await failure(filesystemProvider.createDriver({ location: 'x', credentials: {} }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it('takes an empty object as credentials and names, without echoing, an unknown field', async () => {
    expect(filesystemProvider.parseCredentials({})).toEqual({});
    expect(filesystemProvider.parseCredentials(undefined)).toEqual({});
    const error = await failure(() => filesystemProvider.parseCredentials({ password: 'hunter2' }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toContain('password');
    expect(error.message).not.toContain('hunter2');
    for (const raw of [null, [], 'secret', 42]) {
      expect((await failure(() => filesystemProvider.parseCredentials(raw))).code).toBe(Code.InvalidArgument);
    }
  });
});
