import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: builds dist/ from the sources under test, so tests that run the `cairn`
 * command run this checkout's code (the bundle takes well under a second).
 */
export default function buildCli(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../build.mjs', import.meta.url))], {
    stdio: 'inherit',
  });
}
