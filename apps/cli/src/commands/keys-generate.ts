import { access, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_PASSPHRASE_VARIABLE, generateKeyPair } from '@cairn/attestation';
import { CairnError, Code } from '@cairn/errors';
import { writeFileAtomically } from '../atomic-file.js';
import { type CommandContext, flag } from '../context.js';
import { printResult, renderFields } from '../output.js';

export async function run(context: CommandContext): Promise<void> {
  const prefix = resolve(context.io.cwd, context.outputPath ?? 'cairn');
  const privatePath = `${prefix}.key`;
  const publicPath = `${prefix}.pub`;
  if (!flag(context, 'force')) {
    for (const path of [privatePath, publicPath]) {
      if (
        await access(path).then(
          () => true,
          () => false,
        )
      ) {
        throw new CairnError(
          Code.AlreadyExists,
          `${path} exists; choose another --output PREFIX, or pass --force to replace it`,
        );
      }
    }
  }
  const passphrase = context.io.env[DEFAULT_PASSPHRASE_VARIABLE];
  const pair = await generateKeyPair(passphrase ? { passphrase } : {});
  await mkdir(dirname(prefix), { recursive: true });
  await writeFileAtomically(privatePath, pair.privateKeyPem, 0o600);
  await writeFileAtomically(publicPath, pair.publicKeyPem, 0o644);
  printResult(context, {
    table: () =>
      renderFields([
        [
          'PRIVATE KEY',
          `${privatePath} (0600${passphrase ? `, encrypted with $${DEFAULT_PASSPHRASE_VARIABLE}` : ''})`,
        ],
        ['PUBLIC KEY', publicPath],
        ['ALGORITHM', 'ECDSA P-256'],
        ['HINT', pair.hint],
      ]),
    json: {
      privateKey: privatePath,
      publicKey: publicPath,
      algorithm: pair.algorithm,
      hint: pair.hint,
      encrypted: Boolean(passphrase),
    },
  });
}
