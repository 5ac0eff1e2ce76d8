import { readFile } from 'node:fs/promises';
import { importSigningKey, loadOrCreateSigningKey, SigningKeyRing } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';

/**
 * The key ring from configuration: the deployment's first key (created on first start), which the
 * signing-key schedule adopts, and the keys of rotations made by restarting before the schedule existed,
 * which only verify. Later rotations are `controlplane keys rotate` (app/rotate-keys.ts): pointing
 * tokens.signingKeyFile at another file changes nothing once the schedule holds a key.
 */
export async function loadSigningKeys(
  activeFile: string,
  previousFiles: readonly string[],
  signal: AbortSignal,
): Promise<SigningKeyRing> {
  const active = await loadOrCreateSigningKey(activeFile, signal);
  const previous = [];
  for (const file of previousFiles) {
    let text: string;
    try {
      text = await readFile(file, { encoding: 'utf8', signal });
    } catch (error) {
      throw CairnError.from(
        error,
        Code.FailedPrecondition,
        `cannot read the previous signing key file ${file}`,
      );
    }
    try {
      previous.push(await importSigningKey(JSON.parse(text)));
    } catch {
      // Neither error may travel on: both can quote key material.
      throw new CairnError(
        Code.FailedPrecondition,
        `previous signing key file ${file} does not hold an ES256 private JWK`,
      );
    }
  }
  return new SigningKeyRing(active, previous);
}
