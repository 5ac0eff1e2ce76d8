import { describe, expect, it } from 'vitest';
import { parseDownloadName, parseUploadName } from './resource-names.js';

const HEX = 'a'.repeat(64);
const UUID = '3f0c1f5e-7b8e-4c7a-9a1d-2b6f0e4d5c3a';

describe('parseUploadName', () => {
  it('accepts the canonical form and canonicalises the uuid', () => {
    expect(parseUploadName(`uploads/${UUID.toUpperCase()}/blobs/${HEX}/42`)).toEqual({
      uuid: UUID,
      hex: HEX,
      size: 42,
      name: `uploads/${UUID}/blobs/${HEX}/42`,
    });
    expect(parseUploadName(`uploads/${UUID}/blobs/${HEX}/0`).size).toBe(0);
  });

  it.each([
    ['path traversal', `uploads/${UUID}/blobs/../../etc/passwd`, /"\.\."/],
    ['a leading slash', `/uploads/${UUID}/blobs/${HEX}/1`, /leading "\/"/],
    ['an instance name prefix', `main/uploads/${UUID}/blobs/${HEX}/1`, /does not have that shape/],
    ['a trailing segment', `uploads/${UUID}/blobs/${HEX}/1/file.txt`, /does not have that shape/],
    ['a bad uuid', `uploads/not-a-uuid/blobs/${HEX}/1`, /is not a UUID/],
    ['a short digest', `uploads/${UUID}/blobs/${'a'.repeat(63)}/1`, /has 63/],
    ['a long digest', `uploads/${UUID}/blobs/${'a'.repeat(65)}/1`, /has 65/],
    ['upper-case hex', `uploads/${UUID}/blobs/${'A'.repeat(64)}/1`, /upper-case hex/],
    ['a negative size', `uploads/${UUID}/blobs/${HEX}/-1`, /not a non-negative decimal/],
    ['a non-numeric size', `uploads/${UUID}/blobs/${HEX}/ten`, /not a non-negative decimal/],
    ['a size with a sign', `uploads/${UUID}/blobs/${HEX}/+1`, /not a non-negative decimal/],
    ['a size with leading zeros', `uploads/${UUID}/blobs/${HEX}/007`, /not a non-negative decimal/],
    ['a size in exponent form', `uploads/${UUID}/blobs/${HEX}/1e3`, /not a non-negative decimal/],
    ['a huge size', `uploads/${UUID}/blobs/${HEX}/99999999999999999999`, /too large/],
    ['a backslash', `uploads\\${UUID}/blobs/${HEX}/1`, /characters/],
    ['an empty segment', `uploads//blobs/${HEX}/1`, /empty segment/],
    ['nothing', '', /empty/],
  ])('refuses %s with the expected form in the message', (_case, name, reason) => {
    expect(() => parseUploadName(name)).toThrowError(reason);
    expect(() => parseUploadName(name)).toThrowError(/expected uploads\/\{uuid\}\/blobs\//);
  });
});

describe('parseDownloadName', () => {
  it('accepts blobs/{hex}/{size}', () => {
    expect(parseDownloadName(`blobs/${HEX}/7`)).toEqual({ hex: HEX, size: 7 });
  });

  it.each([
    `blobs/${HEX}`,
    `blobs/${HEX}/7/extra`,
    `uploads/${UUID}/blobs/${HEX}/7`,
    `blobs/${HEX.toUpperCase()}/7`,
    `blobs/../${HEX}/7`,
    `blobs/${HEX}/-7`,
  ])('refuses %s', (name) => {
    expect(() => parseDownloadName(name)).toThrowError(/expected blobs\/\{64 lower-case hex sha256\}/);
  });
});
