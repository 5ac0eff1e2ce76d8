import { PassThrough } from 'node:stream';
import {
  checkInlineMaterial,
  checkMaterialContent,
  digestOf,
  loadPublicKey,
  type MaterialToCheck,
  materialsToCheck,
  parseImageReference,
  verifyBundle,
} from '@cairn/attestation';
import { parseDigest } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import { resolveImage } from '../attestation/image-digest.js';
import { storedWhere } from '../attestation/run-view.js';
import { runs } from '../attestation/runs.js';
import { type CasTokens, casTokens, openCas } from '../cas-connection.js';
import { type CommandContext, optionalString, requiredString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { readInputFile } from '../input-file.js';
import { printResult, renderTable } from '../output.js';
import { UsageError } from '../usage-error.js';

type Outcome = 'ok' | 'mismatch' | 'unavailable';

interface CheckedMaterial {
  readonly name: string;
  readonly kind: string;
  readonly digest: string;
  readonly stored: string;
  readonly result: Outcome;
  readonly problem?: string;
}

export async function run(context: CommandContext): Promise<void> {
  const digest = optionalString(context, 'digest');
  const bundleFile = optionalString(context, 'bundle');
  if ((digest === undefined) === (bundleFile === undefined)) {
    throw new UsageError(
      'name the attestation with -d sha256:<hex> or give it with --bundle FILE (one of them)',
      context.command,
    );
  }
  const keyFile = requiredString(context, 'key', '--key');
  const publicKey = loadPublicKey(await readInputFile(context, keyFile, '--key'), { name: keyFile });
  const bundle =
    digest === undefined
      ? await readInputFile(context, bundleFile ?? '', '--bundle')
      : await fetchBundle(context, digest);
  const statement = verifyBundle(bundle, publicKey, { bundleName: bundleFile ?? digest ?? 'the bundle' });

  const checked: CheckedMaterial[] = [];
  // cli.json and the control plane, read and reached once for every material the CAS holds.
  let tokens: Promise<CasTokens> | undefined;
  const casAccess = () => {
    tokens ??= casTokens(context);
    return tokens;
  };
  try {
    for (const material of materialsToCheck(statement)) {
      const outcome = await check(context, material, casAccess);
      checked.push({
        name: material.name,
        kind: material.kind,
        digest: material.digest,
        stored: storedWhere(material.location),
        ...outcome,
      });
    }
  } finally {
    if (tokens) (await tokens.catch(() => undefined))?.tokenSource.close?.();
  }
  printResult(context, {
    table: () =>
      renderTable(
        ['MATERIAL', 'KIND', 'DIGEST', 'STORED', 'RESULT'],
        checked.map((row) => [row.name, row.kind, row.digest, row.stored, row.problem ?? row.result]),
      ),
    json: {
      verified: checked.every((row) => row.result === 'ok'),
      bundle: digest ?? digestOf(bundle),
      run: statement.predicate.run,
      subjects: statement.subject,
      materials: checked,
    },
  });
  const failed = checked.filter((row) => row.result !== 'ok');
  if (failed.length > 0) {
    const names = failed.map((row) => `${row.name} (${row.result})`).join(', ');
    const code = failed.some((row) => row.result === 'mismatch') ? Code.DataLoss : Code.Unavailable;
    throw new CairnError(
      code,
      `the signature is good, but ${failed.length} of ${checked.length} materials failed: ${names}`,
      {
        details: { reason: code === Code.DataLoss ? 'material_mismatch' : 'material_unavailable' },
      },
    );
  }
}

async function check(
  context: CommandContext,
  material: MaterialToCheck,
  casAccess: () => Promise<CasTokens>,
): Promise<{ result: Outcome; problem?: string }> {
  try {
    if ('inline' in material.location) {
      checkInlineMaterial(material);
    } else if ('image' in material.location) {
      const image = parseImageReference(material.location.image.reference);
      const signal = context.io.signal ?? new AbortController().signal;
      const resolved = await resolveImage(image, context.io.env, signal);
      if (resolved.digest !== material.digest) {
        return { result: 'mismatch', problem: `the registry now serves ${resolved.digest}` };
      }
    } else {
      await checkFromCas(context, material, await casAccess());
    }
    return { result: 'ok' };
  } catch (error) {
    const failure = CairnError.from(error);
    if (failure.code === Code.DataLoss)
      return { result: 'mismatch', problem: 'mismatch: changed after it was attested' };
    return { result: 'unavailable', problem: `not checked: ${failure.message}` };
  }
}

/** Streams the material from the CAS (a token bound to its digest) and hashes every byte. */
async function checkFromCas(
  context: CommandContext,
  material: MaterialToCheck,
  tokens: CasTokens,
): Promise<void> {
  const cas = await openCas(context, tokens, { role: 'download', digest: material.digest });
  const sink = new PassThrough();
  const checking = checkMaterialContent(
    material,
    sink,
    context.io.signal === undefined ? {} : { signal: context.io.signal },
  );
  try {
    await cas.client.download(
      material.digest,
      sink,
      context.io.signal === undefined ? {} : { signal: context.io.signal },
    );
    sink.end();
    await checking;
  } catch (error) {
    sink.destroy();
    await checking.catch(() => undefined);
    throw error;
  } finally {
    cas.close();
  }
}

async function fetchBundle(context: CommandContext, digest: string): Promise<Buffer> {
  try {
    parseDigest(digest);
  } catch (error) {
    throw new UsageError((error as Error).message, context.command);
  }
  const fetched = await withControlPlane(context, (client, signal) =>
    runs(client, signal).bundle({ digest }),
  );
  const bytes = Buffer.from(fetched.bytes);
  if (digestOf(bytes) !== digest) {
    throw new CairnError(
      Code.DataLoss,
      `the bundle served for ${digest} has digest ${digestOf(bytes)}: it is not the attestation asked for`,
      {
        details: { reason: 'digest_mismatch' },
      },
    );
  }
  return bytes;
}
