import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const mainScript = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs the CAS's entry point with `args`; resolves with its exit code and output (it must exit by itself). */
async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), mainScript, ...args],
      { timeout: 20_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('the artifact CAS command line', () => {
  it('prints its usage and every environment override for --help, and exits 0 without serving', async () => {
    const { code, stdout } = await runMain(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: artifact-cas \[--config cas\.json\]/);
    expect(stdout).toContain('gRPC 127.0.0.1:9001, HTTP 127.0.0.1:8001');
    expect(stdout).toContain('CAIRN_CAS_FILESYSTEM_ROOTS');
    expect(stdout).toContain('CAIRN_CAS_SECRETS');
  });

  it('refuses an argument it does not know instead of ignoring it, and says what it takes', async () => {
    const { code, stdout, stderr } = await runMain(['--port', '9100']);
    expect(code).toBe(1);
    // The refusal is the JSON log line of a failed start.
    const output = stdout + stderr;
    expect(output).toContain("Unknown option '--port'");
    expect(output).toContain('the CAS takes only --config FILE');
    expect(output).not.toContain('artifact CAS serving');
  });

  it('refuses --config without a path, saying so', async () => {
    const { code, stdout, stderr } = await runMain(['--config']);
    expect(code).toBe(1);
    const output = stdout + stderr;
    expect(output).toContain("'--config <value>' argument missing");
    expect(output).toContain('the CAS takes only --config FILE');
  });
});
