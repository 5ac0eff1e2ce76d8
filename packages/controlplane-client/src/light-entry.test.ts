import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// `@cairn/controlplane-client` is what the CLI loads on every run: it must not pull in the server.
const ALLOWED_PACKAGES = ['@bufbuild/protobuf', '@cairn/api', '@cairn/errors', '@grpc/grpc-js', 'p-retry'];

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].flatMap((match) =>
    match[1] === undefined ? [] : [match[1]],
  );
}

/** Every module the entry reaches statically, as files inside this folder and bare package names. */
async function reach(entry: string): Promise<{ files: string[]; packages: string[] }> {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of await importsOf(file)) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else
        packages.add(
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        );
    }
  }
  return { files: [...files], packages: [...packages] };
}

describe('@cairn/controlplane-client', () => {
  it('reaches no server module and no package beyond the wire protocol', async () => {
    const folder = import.meta.dirname;
    const { files, packages } = await reach(join(folder, 'index.ts'));
    for (const file of files) expect(relative(folder, file)).not.toMatch(/^\.\./);
    expect(packages.filter((name) => !name.startsWith('node:') && !ALLOWED_PACKAGES.includes(name))).toEqual(
      [],
    );
    expect(packages).toContain('@cairn/api');
  });
});
