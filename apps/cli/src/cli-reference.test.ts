import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cliReference } from './cli-reference.js';

describe('docs/cli.md', () => {
  it('is what the command tree generates (run `npm run docs` after changing a command)', async () => {
    const committed = await readFile(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    expect(committed).toBe(cliReference());
  });
});
