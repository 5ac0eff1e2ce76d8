// `npm run docs`: rewrites the generated reference pages, and the generated parts of pages written by hand
// around them. Tests fail while a committed page or part differs from what its source generates.
import { readFile, writeFile } from 'node:fs/promises';
import { replaceParts, serviceReference, settingsTable } from '@cairn/service-runtime/config';
import { CAS_CONFIG } from '../apps/artifact-cas/src/config/config.js';
import { CLI_CONFIG_SCHEMA } from '../apps/cli/src/cli-config.js';
import { cliReference } from '../apps/cli/src/cli-reference.js';
import { CONTROL_PLANE_CONFIG } from '../apps/controlplane/src/config/config.js';

const pages: Record<string, () => string> = {
  'docs/cli.md': cliReference,
};

const parts: Record<string, Record<string, () => string>> = {
  'docs/configuration.md': {
    'artifact-cas': () => serviceReference(CAS_CONFIG),
    controlplane: () => serviceReference(CONTROL_PLANE_CONFIG),
    'cli.json': () => settingsTable(CLI_CONFIG_SCHEMA),
  },
};

for (const [path, generate] of Object.entries(pages)) {
  await writeFile(new URL(`../${path}`, import.meta.url), generate());
  process.stdout.write(`wrote ${path}\n`);
}

for (const [path, generators] of Object.entries(parts)) {
  const url = new URL(`../${path}`, import.meta.url);
  const bodies = Object.fromEntries(Object.entries(generators).map(([name, generate]) => [name, generate()]));
  await writeFile(url, replaceParts(await readFile(url, 'utf8'), bodies));
  process.stdout.write(`wrote the generated parts of ${path}\n`);
}
