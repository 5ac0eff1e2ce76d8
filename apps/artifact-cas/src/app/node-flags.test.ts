import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CAS_NODE_FLAGS, casNodeFlagsMissing } from './node-flags.js';

describe('CAS_NODE_FLAGS', () => {
  it('are options this node accepts (a node that dropped one refuses to start with it)', () => {
    const run = spawnSync(process.execPath, [...CAS_NODE_FLAGS, '-e', 'process.exit(0)'], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('are named as missing when a process was started without them, and only then', () => {
    expect(casNodeFlagsMissing(['--import', 'tsx'])).toEqual([...CAS_NODE_FLAGS]);
    expect(casNodeFlagsMissing(['--import', 'tsx', ...CAS_NODE_FLAGS])).toEqual([]);
  });
});
