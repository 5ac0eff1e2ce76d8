import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES, mallocTunablesMissing, withMallocTunables } from './malloc-tunables.js';

const ALL = 'glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=33554432';

describe('withMallocTunables', () => {
  it('sets GLIBC_TUNABLES when the environment has none, and leaves the rest alone', () => {
    const env = withMallocTunables({ PATH: '/usr/bin' });
    expect(env).toEqual({ PATH: '/usr/bin', GLIBC_TUNABLES: ALL });
  });

  it("adds only what is missing to the caller's own tunables, keeping their values", () => {
    const env = withMallocTunables({
      GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1048576:glibc.pthread.rseq=0',
    });
    expect(env.GLIBC_TUNABLES).toBe(
      'glibc.malloc.trim_threshold=1048576:glibc.pthread.rseq=0:glibc.malloc.mmap_threshold=33554432',
    );
  });

  it('changes nothing when every tunable is set', () => {
    expect(withMallocTunables({ GLIBC_TUNABLES: ALL })).toEqual({ GLIBC_TUNABLES: ALL });
  });
});

describe('mallocTunablesMissing', () => {
  it('names the missing tunables on glibc, and none where the C library is another', () => {
    expect(mallocTunablesMissing({}, () => '2.36')).toEqual(Object.keys(MALLOC_TUNABLES));
    expect(mallocTunablesMissing({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1' }, () => '2.36')).toEqual([
      'glibc.malloc.mmap_threshold',
    ]);
    expect(mallocTunablesMissing({ GLIBC_TUNABLES: ALL }, () => '2.36')).toEqual([]);
    expect(mallocTunablesMissing({}, () => null)).toEqual([]);
  });

  it('is what glibc applies: the dynamic loader lists the tunables in effect under the environment it builds', () => {
    // glibc ≥ 2.33 lists the tunables it applied with `ld.so --list-tunables`; every process it starts gets them.
    const listed = spawnSync('/lib64/ld-linux-x86-64.so.2', ['--list-tunables'], {
      env: withMallocTunables({}) as NodeJS.ProcessEnv,
      encoding: 'utf8',
    });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/glibc\.malloc\.trim_threshold: 0x4000000 /);
    expect(listed.stdout).toMatch(/glibc\.malloc\.mmap_threshold: 0x2000000 /);
  });
});
