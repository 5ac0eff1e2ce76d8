import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// The lock every Cairn test harness takes around apt (the one in @cairn/backends' test servers, which does
// not export its installer), so two suites never run apt at once.
const APT_LOCK = join(tmpdir(), 'cairn-apt.lock');

const INSTALL = `
export DEBIAN_FRONTEND=noninteractive
dpkg-query -W -f='\${Status}' "$1" 2>/dev/null | grep -q 'ok installed' && exit 0
apt-get update -qq -o DPkg::Lock::Timeout=600
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "$1"
`;

/**
 * Installs a Debian package the tests need unless it is there. Throws, so the test fails rather than
 * skips, when it cannot: not root, or apt-get failed.
 */
export async function ensureDebianPackage(name: string): Promise<void> {
  if (await isInstalled(name)) return;
  if (process.getuid?.() !== 0)
    throw new Error(`the tests need the Debian package ${name}: install it as root with apt-get`);
  try {
    await run('flock', ['--exclusive', '--timeout', '900', APT_LOCK, 'sh', '-c', INSTALL, 'sh', name], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new Error(`installing ${name} with apt-get failed:\n${stderr.split('\n').slice(-20).join('\n')}`, {
      cause: error,
    });
  }
  if (!(await isInstalled(name))) throw new Error(`apt-get did not install ${name}`);
}

async function isInstalled(name: string): Promise<boolean> {
  try {
    const { stdout } = await run('dpkg-query', ['--status', name]);
    return /^Status: .* ok installed$/m.test(stdout);
  } catch {
    return false;
  }
}
