import { readFile } from 'node:fs/promises';
import { importSigningKey, loadOrCreateSigningKey, SigningKeyRing } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';

/**
 * The key ring from configuration: the active key (created on first start) signs; the previous keys
 * only verify and stay published, so tokens signed before a rotation keep working through the overlap.
 *
 * Rotation: generate a new key file, list the old one under tokens.previousKeyFiles, point
 * tokens.signingKeyFile at the new one, restart (replicas one by one); once a token lifetime plus clock
 * skew has passed everywhere, drop the old file from previousKeyFiles.
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
