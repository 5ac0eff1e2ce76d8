// npm run bench:cli — what a CI job pays per `cairn` call: start-up (`cairn --version`), a 1 KiB upload
// against `npm start`, and a whole attestation flow (init, add 10 files of 1 MiB, push), each beside
// `node -e 0` measured in the same run (the floor any node command pays; the flow pays it 12 times).
// The CLI runs as its own built binary (node_modules/.bin/cairn), never through npx.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.CAIRN_BENCH_ROUNDS ?? 20);
const FLOW_ROUNDS = Number(process.env.CAIRN_BENCH_FLOW_ROUNDS ?? 5);
const FLOW_FILES = 10;
const root = fileURLToPath(new URL('../..', import.meta.url));
const cairn = join(root, 'node_modules', '.bin', 'cairn');
const startScript = join(root, 'scripts', 'start.ts');

interface Timing {
  readonly median: number;
  readonly p90: number;
}

const progress = (what: string) => process.stderr.write(`  ${what}\n`);

/** Runs a command to completion and returns its wall-clock seconds; a non-zero exit fails the bench. */
async function timed(command: string, args: readonly string[], cwd: string): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr}`);
  return seconds;
}

/** Alternates the measured commands round by round, so a slow patch of the machine hits all alike. */
async function measure(
  commands: Record<string, (round: number) => [string, string[]]>,
  cwd: string,
): Promise<Record<string, Timing>> {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(commands).map((name) => [name, []]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of Object.entries(commands)) {
      const [command, args] = make(round);
      samples[name]?.push(await timed(command, args, cwd));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, summarize(values)]));
}

function summarize(values: readonly number[]): Timing {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { median: at(0.5), p90: at(0.9) };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `npm start` in a fresh folder, on free ports; resolves once it says it is running. */
async function startEmbedded(cwd: string): Promise<() => Promise<void>> {
  const ports = {
    CAIRN_CAS_GRPC_PORT: await freePort(),
    CAIRN_CAS_HTTP_PORT: await freePort(),
    CAIRN_CONTROLPLANE_GRPC_PORT: await freePort(),
    CAIRN_CONTROLPLANE_HTTP_PORT: await freePort(),
  };
  const env = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  };
  env.CAIRN_CAS_GRPC_ADDRESS = `127.0.0.1:${ports.CAIRN_CAS_GRPC_PORT}`;
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), startScript], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (output.includes('Cairn is running')) {
        clearInterval(poll);
        resolve();
      }
    }, 50);
    void exited.then(() => {
      clearInterval(poll);
      reject(new Error(`npm start exited early:\n${output}`));
    });
  });
  return async () => {
    child.kill('SIGTERM');
    await exited;
  };
}

const seconds = (value: number) => `${value.toFixed(3)} s`;

/**
 * The attestation flow a CI job runs, each step its own process, on fresh 1 MiB files every round (so
 * every add uploads), beside 12 runs of `node -e 0`.
 */
async function measureFlow(dir: string): Promise<{ total: Timing; floor: Timing }> {
  await timed(cairn, ['keys', 'generate', '--output', 'bench', '--force'], dir);
  const totals: number[] = [];
  const floors: number[] = [];
  for (let round = 0; round < FLOW_ROUNDS; round++) {
    const files = await Promise.all(
      Array.from({ length: FLOW_FILES }, async (_, index) => {
        const name = `flow-${round}-${index}.bin`;
        await writeFile(join(dir, name), randomBytes(1024 * 1024));
        return name;
      }),
    );
    let floor = 0;
    for (let call = 0; call < FLOW_FILES + 2; call++)
      floor += await timed(process.execPath, ['-e', '0'], dir);
    floors.push(floor);
    let total = await timed(cairn, ['attestation', 'init', '--workflow', 'bench'], dir);
    for (const [index, file] of files.entries()) {
      total += await timed(cairn, ['attestation', 'add', '--name', `file-${index}`, '--value', file], dir);
    }
    total += await timed(cairn, ['attestation', 'push', '--key', 'bench.key'], dir);
    totals.push(total);
  }
  return { total: summarize(totals), floor: summarize(floors) };
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-cli-'));
  try {
    progress(`start-up: ${ROUNDS} rounds of node -e 0 and cairn --version`);
    const startup = await measure(
      { node: () => [process.execPath, ['-e', '0']], version: () => [cairn, ['--version']] },
      dir,
    );

    progress('starting npm start in a fresh folder');
    const stop = await startEmbedded(dir);
    try {
      const files = await Promise.all(
        Array.from({ length: ROUNDS }, async (_, round) => {
          const name = `evidence-${round}.bin`;
          await writeFile(join(dir, name), randomBytes(1024));
          return name;
        }),
      );
      // One upload before timing: the control plane's and the CAS's first calls load code lazily.
      await writeFile(join(dir, 'warm.bin'), randomBytes(1024));
      await timed(cairn, ['artifact', 'upload', '-f', 'warm.bin'], dir);
      progress(`upload: ${ROUNDS} rounds of node -e 0 and cairn artifact upload (1 KiB, a new blob each)`);
      const upload = await measure(
        {
          node: () => [process.execPath, ['-e', '0']],
          upload: (round) => [cairn, ['artifact', 'upload', '-f', files[round] ?? '']],
        },
        dir,
      );
      progress(`attestation flow: ${FLOW_ROUNDS} rounds of init, add ${FLOW_FILES} × 1 MiB, push`);
      const flow = await measureFlow(dir);
      const rows = [
        ['node -e 0 (floor)', startup.node, undefined],
        ['cairn --version', startup.version, 0.3],
        ['node -e 0 (floor, during uploads)', upload.node, undefined],
        ['cairn artifact upload, 1 KiB, npm start', upload.upload, 0.6],
        [`12 × node -e 0 (floor of the flow's 12 calls)`, flow.floor, undefined],
        [`attestation flow: init, add ${FLOW_FILES} × 1 MiB, push`, flow.total, 3],
      ] as const;
      const lines = [
        `### bench:cli (${ROUNDS} rounds per call, ${FLOW_ROUNDS} flows; median and p90 wall-clock)`,
        '',
        '| measure | median | p90 | over node -e 0 (median) | target |',
        '|---|---|---|---|---|',
        ...rows.map(([name, timing, target]) => {
          const floor = name.includes('flow')
            ? flow.floor
            : name.includes('upload')
              ? upload.node
              : startup.node;
          const extra =
            name.includes('node -e 0') || !timing || !floor ? '' : seconds(timing.median - floor.median);
          const goal =
            target === undefined || !timing ? '' : `≤ ${target} s ${timing.median <= target ? '✓' : '✗'}`;
          return `| ${name} | ${timing ? seconds(timing.median) : ''} | ${timing ? seconds(timing.p90) : ''} | ${extra} | ${goal} |`;
        }),
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
