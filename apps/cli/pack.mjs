// `npm run pack:cli`: the `cairn` command as one npm package a CI job installs on its own,
// `npm install -g ./cairn-cli-<version>.tgz` — the bundle of dist/ and the launcher, no dependencies,
// no workspace. Prints the tarball's path.
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
execFileSync(process.execPath, [join(here, 'build.mjs')], { stdio: 'inherit' });
const workspace = JSON.parse(await readFile(join(here, 'package.json'), 'utf8'));
const staging = await mkdtemp(join(tmpdir(), 'cairn-cli-pack-'));
try {
  await cp(join(here, 'bin'), join(staging, 'bin'), { recursive: true });
  // Source maps stay behind: they are four times the code and only a debugger reads them.
  await cp(join(here, 'dist'), join(staging, 'dist'), {
    recursive: true,
    filter: (path) => !path.endsWith('.map'),
  });
  await cp(join(here, 'README.md'), join(staging, 'README.md'));
  const manifest = {
    name: 'cairn-cli',
    version: workspace.version,
    description: 'The cairn command: attest builds and keep their evidence in storage you already run',
    type: 'module',
    bin: { cairn: 'bin/cairn.js' },
    engines: { node: '>=20.11' },
    files: ['bin', 'dist', 'README.md'],
  };
  await writeFile(join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', here], {
    cwd: staging,
    encoding: 'utf8',
  });
  const [{ filename }] = JSON.parse(output);
  process.stdout.write(`${join(here, filename)}\n`);
} finally {
  await rm(staging, { recursive: true, force: true });
}
