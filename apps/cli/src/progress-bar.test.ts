import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatBytes, progressReporter, renderProgress } from './progress-bar.js';

describe('renderProgress', () => {
  it('draws the bar, the percentage, the sizes and the rate', () => {
    const line = renderProgress(
      { phase: 'uploading', bytes: 12 * 1024 * 1024, total: 24 * 1024 * 1024 },
      1024 ** 3,
    );
    expect(line).toBe('uploading   [############............]  50%  12.0 MiB / 24.0 MiB  1.0 GiB/s');
  });

  it('treats an empty blob as done', () => {
    expect(renderProgress({ phase: 'downloading', bytes: 0, total: 0 })).toContain('100%');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('%i → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('progressReporter', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const stream = new PassThrough();
    const reporter = progressReporter(stream, false);
    reporter.update({ phase: 'uploading', bytes: 1, total: 1 });
    reporter.finish();
    expect(stream.read()).toBeNull();
  });

  it('redraws in place on a terminal and clears the line when finished', () => {
    const stream = new PassThrough();
    const reporter = progressReporter(stream, true);
    reporter.update({ phase: 'uploading', bytes: 1, total: 1 });
    reporter.finish();
    const text = String(stream.read());
    expect(text.startsWith('\r\x1b[2Kuploading')).toBe(true);
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
  });
});
