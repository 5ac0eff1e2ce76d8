import { CairnError, Code } from '@cairn/errors';
import type { LoadedCliConfig } from '../cli-config.js';
import { controlPlaneSettings } from '../controlplane/controlplane-settings.js';
import { ControlPlaneTokenSource } from './controlplane-source.js';
import { DevKeyTokenSource } from './dev-key-source.js';
import { type CasTokenSource, fixedTokenSource } from './token-source.js';

export interface TokenSettings {
  /** `--cas-token`. */
  readonly flag: string | undefined;
  /** `--controlplane-address`. */
  readonly controlPlaneFlag?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: LoadedCliConfig | undefined;
}

/**
 * Picks where CAS tokens come from, first match wins: `--cas-token`, `$CAIRN_CAS_TOKEN`, the control
 * plane (`controlplane` in .cairn/cli.json, or `--controlplane-address` / `$CAIRN_CONTROLPLANE_ADDRESS`
 * with `$CAIRN_API_TOKEN`), the development key in .cairn/cli.json.
 */
export function resolveTokenSource(settings: TokenSettings): CasTokenSource {
  const candidates: Array<() => CasTokenSource | undefined> = [
    () => (nonEmpty(settings.flag) ? fixedTokenSource(settings.flag, '--cas-token') : undefined),
    () => {
      const token = settings.env.CAIRN_CAS_TOKEN;
      return nonEmpty(token) ? fixedTokenSource(token, 'CAIRN_CAS_TOKEN') : undefined;
    },
    () => {
      const controlPlane = controlPlaneSettings({
        flag: settings.controlPlaneFlag,
        env: settings.env,
        config: settings.config,
      });
      return controlPlane === undefined ? undefined : new ControlPlaneTokenSource(controlPlane);
    },
    () => devKeySource(settings.config),
  ];
  for (const candidate of candidates) {
    const source = candidate();
    if (source !== undefined) return source;
  }
  throw new CairnError(
    Code.Unauthenticated,
    'no CAS token: pass --cas-token or set CAIRN_CAS_TOKEN, set CAIRN_CONTROLPLANE_ADDRESS and CAIRN_API_TOKEN, or run this from a folder where `npm start` runs (it writes .cairn/cli.json)',
  );
}

export function devKeySource(config: LoadedCliConfig | undefined): DevKeyTokenSource | undefined {
  const dev = config?.config.dev;
  if (config === undefined || dev === undefined) return undefined;
  return new DevKeyTokenSource({ home: config.home, config: { ...config.config, dev } });
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
