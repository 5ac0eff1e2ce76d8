import { readFile } from 'node:fs/promises';
import { generatedPart, partOf, serviceReference } from '@cairn/service-runtime/config';
import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CONFIG } from './config.js';

describe('docs/configuration.md', () => {
  it("lists the control plane's settings as its schema has them (run `npm run docs` after changing one)", async () => {
    const page = await readFile(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(partOf(page, 'controlplane')).toBe(
      generatedPart('controlplane', serviceReference(CONTROL_PLANE_CONFIG)),
    );
  });
});
