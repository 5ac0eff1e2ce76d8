// A command that calls rerunWithMallocTunables first, for rerun.test.ts: it prints which process ran its
// body and with what GLIBC_TUNABLES, then waits (`wait`) or exits with the status given.
import { rerunWithMallocTunables } from '../rerun.js';

await rerunWithMallocTunables();
process.stdout.write(
  `${JSON.stringify({ pid: process.pid, ppid: process.ppid, tunables: process.env.GLIBC_TUNABLES ?? null })}\n`,
);
if (process.argv[2] === 'wait') setInterval(() => {}, 1000);
else process.exitCode = Number(process.argv[2] ?? 0);
