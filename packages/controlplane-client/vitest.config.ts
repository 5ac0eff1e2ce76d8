import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@cairn/controlplane-client', include: ['src/**/*.test.ts'] },
});
