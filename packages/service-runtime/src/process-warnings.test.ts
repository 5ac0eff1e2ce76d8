import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const moduleUrl = new URL('./process-warnings.ts', import.meta.url).href;

/** A node process that routes its warnings to a logger, then emits two: what it wrote, split by stream. */
async function emitTwoWarnings(routed: boolean): Promise<{ stdout: string; stderr: string }> {
  const script = `
    const { createLogger } = await import('@cairn/observability');
    const { logProcessWarnings } = await import(${JSON.stringify(moduleUrl)});
    if (${routed}) logProcessWarnings(createLogger({ fields: { service: 'test' } }));
    process.emitWarning('a notice\\nthat spans two lines');
    process.emitWarning('an old call', 'DeprecationWarning', 'DEP0999');
  `;
  return run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
  });
}

describe('logProcessWarnings', () => {
  it('logs each warning as one JSON line with the service fields, and Node no longer prints them', async () => {
    const { stdout, stderr } = await emitTwoWarnings(true);
    expect(stderr).toBe('');
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toMatchObject([
      { level: 'warn', service: 'test', msg: 'a notice\nthat spans two lines', warning: 'Warning' },
      { level: 'warn', service: 'test', msg: 'an old call', warning: 'DeprecationWarning', code: 'DEP0999' },
    ]);
  });

  it('without it, Node prints them on stderr (what the first case takes over)', async () => {
    const { stdout, stderr } = await emitTwoWarnings(false);
    expect(stdout).toBe('');
    expect(stderr).toContain('a notice\nthat spans two lines');
    expect(stderr).toContain('[DEP0999] DeprecationWarning: an old call');
  });
});
