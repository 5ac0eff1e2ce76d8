import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_ARTIFACT_TYPE,
  checkpointManifest,
  parseCheckpointManifest,
} from './checkpoint-manifest.js';

const checkpoint = fc.record({
  hex: fc.string(),
  size: fc.nat(),
  chunkSize: fc.integer({ min: 1 }),
  offset: fc.integer({ min: 1 }),
  location: fc.string(),
  hashState: fc.uint8Array({ maxLength: 256 }),
});

/** Manifests a registry could hand back under a checkpoint tag: anything, or nearly Cairn's own. */
const annotation = fc.oneof(
  fc.string(),
  fc.json(),
  checkpoint.map((found) =>
    JSON.stringify({ version: 1, ...found, hashState: Buffer.from(found.hashState).toString('base64') }),
  ),
  fc
    .record({ version: fc.constantFrom(1, 2, '1'), hex: fc.anything(), size: fc.anything() })
    .map((value) => JSON.stringify(value)),
);
const foreignManifest = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.jsonValue().map((value) => new TextEncoder().encode(JSON.stringify(value))),
  fc
    .record({
      artifactType: fc.oneof(fc.constant(CHECKPOINT_ARTIFACT_TYPE), fc.string()),
      annotations: fc.oneof(
        fc.dictionary(fc.string(), fc.string()),
        annotation.map((text) => ({ 'dev.cairn.upload-checkpoint': text })),
        fc.anything(),
      ),
    })
    .map((value) => new TextEncoder().encode(JSON.stringify(value))),
);

describe('upload checkpoint manifests read from a registry', () => {
  it('never throw on whatever a registry hands back, and read only well-formed checkpoints', () => {
    fc.assert(
      fc.property(foreignManifest, (bytes) => {
        const read = parseCheckpointManifest(bytes);
        if (read === undefined) return;
        expect(Number.isSafeInteger(read.size) && read.size >= 0).toBe(true);
        expect(Number.isSafeInteger(read.offset) && read.offset > 0).toBe(true);
        expect(Number.isSafeInteger(read.chunkSize) && read.chunkSize > 0).toBe(true);
        expect(read.hashState).toBeInstanceOf(Uint8Array);
      }),
      { numRuns: 2000 },
    );
  });

  it('read back exactly what was written', () => {
    fc.assert(
      fc.property(checkpoint, (written) => {
        const read = parseCheckpointManifest(checkpointManifest(written));
        expect(read).toBeDefined();
        expect({ ...read, hashState: Buffer.from(read?.hashState ?? []) }).toEqual({
          ...written,
          hashState: Buffer.from(written.hashState),
        });
      }),
    );
  });
});
