import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Every harness that installs packages takes this one lock, so parallel server starts never race apt. */
const APT_LOCK = join(tmpdir(), 'cairn-apt.lock');

// Runs under the lock: checks again what is missing (another harness may have installed it meanwhile),
// then updates the lists and installs only that. DPkg::Lock::Timeout waits for apt runs outside Cairn.
const INSTALL_MISSING = `
missing=""
for name in "$@"; do
  dpkg-query -W -f='\${Status}' "$name" 2>/dev/null | grep -q 'ok installed' || missing="$missing $name"
done
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=600
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $missing
`;

/**
 * Installs the Debian packages that are missing, serialised across every Cairn test harness by an
 * exclusive `flock` on one lock file. Quick when everything is installed: one `dpkg-query` per package.
 */
export async function ensureDebianPackages(names: readonly string[]): Promise<void> {
  const missing = await missingPackages(names);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Debian packages missing: ${missing.join(' ')}; install them as root with apt-get`);
  }
  try {
    await run(
      'flock',
      ['--exclusive', '--timeout', '900', APT_LOCK, 'sh', '-c', INSTALL_MISSING, 'sh', ...missing],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const tail = typeof stderr === 'string' ? stderr.split('\n').slice(-20).join('\n') : '';
    throw new Error(`installing ${missing.join(' ')} with apt-get failed:\n${tail}`, { cause: error });
  }
  const stillMissing = await missingPackages(missing);
  if (stillMissing.length > 0) throw new Error(`apt-get did not install: ${stillMissing.join(' ')}`);
}

async function missingPackages(names: readonly string[]): Promise<string[]> {
  const installed = await Promise.all(names.map(isInstalled));
  return names.filter((_, index) => !installed[index]);
}

async function isInstalled(name: string): Promise<boolean> {
  try {
    const { stdout } = await run('dpkg-query', ['--status', name]);
    return /^Status: .* ok installed$/m.test(stdout);
  } catch {
    return false;
  }
}
