import { readFile } from 'node:fs/promises';
import { generatedPart, partOf, settingsTable } from '@cairn/service-runtime/config';
import { describe, expect, it } from 'vitest';
import { CLI_CONFIG_SCHEMA } from './cli-config.js';

describe('docs/configuration.md', () => {
  it('lists the keys of .cairn/cli.json as its schema has them (run `npm run docs` after changing one)', async () => {
    const page = await readFile(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(partOf(page, 'cli.json')).toBe(generatedPart('cli.json', settingsTable(CLI_CONFIG_SCHEMA)));
  });
});
