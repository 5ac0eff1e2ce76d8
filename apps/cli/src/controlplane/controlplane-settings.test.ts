import { join } from 'node:path';
import { Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import type { LoadedCliConfig } from '../cli-config.js';
import { controlPlaneSettings, DEFAULT_CONTROLPLANE_ADDRESS } from './controlplane-settings.js';

const home = '/project/.cairn';
const file = join(home, 'cli.json');
const fileToken = `cairn_${'f'.repeat(43)}`;
const envToken = `cairn_${'e'.repeat(43)}`;
const written: LoadedCliConfig = {
  home,
  config: { controlplane: { grpc: '127.0.0.1:9100', organization: 'default', apiToken: fileToken } },
};

describe('controlPlaneSettings', () => {
  it('takes address and token from cli.json as `npm start` wrote them', () => {
    expect(controlPlaneSettings({ flag: undefined, env: {}, config: written })).toEqual({
      address: '127.0.0.1:9100',
      addressOrigin: file,
      apiToken: fileToken,
      tokenOrigin: file,
    });
  });

  it('prefers the flag, then CAIRN_CONTROLPLANE_ADDRESS, and CAIRN_API_TOKEN over the file', () => {
    const env = { CAIRN_CONTROLPLANE_ADDRESS: 'env:1', CAIRN_API_TOKEN: envToken };
    expect(controlPlaneSettings({ flag: 'flag:1', env, config: written })).toMatchObject({
      address: 'flag:1',
      addressOrigin: '--controlplane-address',
      apiToken: envToken,
      tokenOrigin: 'CAIRN_API_TOKEN',
    });
    expect(controlPlaneSettings({ flag: undefined, env, config: written })).toMatchObject({
      address: 'env:1',
      apiToken: envToken,
    });
    expect(
      controlPlaneSettings({ flag: undefined, env: { CAIRN_API_TOKEN: envToken }, config: undefined }),
    ).toMatchObject({ address: DEFAULT_CONTROLPLANE_ADDRESS, apiToken: envToken });
  });

  it('sends the token of cli.json only to the control plane cli.json names', () => {
    expect(controlPlaneSettings({ flag: '127.0.0.1:9100', env: {}, config: written })).toMatchObject({
      apiToken: fileToken,
    });
    expect(() => controlPlaneSettings({ flag: 'elsewhere:9000', env: {}, config: written })).toThrow(
      expect.objectContaining({
        code: Code.Unauthenticated,
        message: expect.stringContaining('CAIRN_API_TOKEN'),
      }),
    );
  });

  it('is undefined when nothing names a control plane', () => {
    expect(controlPlaneSettings({ flag: undefined, env: {}, config: undefined })).toBeUndefined();
    expect(
      controlPlaneSettings({ flag: '', env: { CAIRN_API_TOKEN: '' }, config: { home, config: { cas: {} } } }),
    ).toBeUndefined();
  });
});
