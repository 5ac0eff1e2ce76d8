import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openResumableSha256, type ResumableSha256Factory } from './resumable-sha256.js';

async function factory(): Promise<ResumableSha256Factory> {
  const opened = await openResumableSha256();
  if ('unavailable' in opened) throw new Error(opened.unavailable);
  return opened;
}

describe('resumable SHA-256', () => {
  it('hashes as node does, across any number of exports and resumes at any offsets', async () => {
    const sha = await factory();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 5 }),
        (bytes, cuts) => {
          const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
          let hash = sha.create();
          let from = 0;
          for (const cut of at) {
            hash.update(bytes.subarray(from, cut));
            const resumed = sha.resume(hash.exportState(), cut);
            expect(resumed).toBeDefined();
            hash = resumed ?? hash;
            from = cut;
          }
          hash.update(bytes.subarray(from));
          expect(hash.bytesHashed).toBe(bytes.length);
          expect(hash.digestHex()).toBe(createHash('sha256').update(bytes).digest('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hashes megabytes as node does', async () => {
    const bytes = randomBytes(9 * 1024 * 1024 + 13);
    const hash = (await factory()).create();
    for (let at = 0; at < bytes.length; at += 1024 * 1024) hash.update(bytes.subarray(at, at + 1024 * 1024));
    expect(hash.digestHex()).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses a state that did not hash exactly the bytes it is said to have, or is not a state', async () => {
    const sha = await factory();
    const hash = sha.create();
    hash.update(randomBytes(1000));
    const state = hash.exportState();
    expect(sha.resume(state, 1000)).toBeDefined();
    expect(sha.resume(state, 999)).toBeUndefined();
    expect(sha.resume(state, 1064)).toBeUndefined();
    expect(sha.resume(state.subarray(0, 100), 1000)).toBeUndefined();
    const damaged = Uint8Array.from(state);
    damaged[108] = 20; // md_len
    expect(sha.resume(damaged, 1000)).toBeUndefined();
    expect(sha.resume(new Uint8Array(112), 0)).toBeUndefined();
  });

  it('cannot be used once finished', async () => {
    const hash = (await factory()).create();
    hash.digestHex();
    expect(() => hash.update(new Uint8Array(1))).toThrow(/already finished/);
  });
});
