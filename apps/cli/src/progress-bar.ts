import type { Writable } from 'node:stream';
import type { Progress } from '@cairn/cas-client';

export interface ProgressReporter {
  update(progress: Progress): void;
  /** Clears the bar so the next line of output starts clean. */
  finish(): void;
}

const REDRAW_EVERY_MS = 100;
const BAR_WIDTH = 24;

/** A one-line bar redrawn in place on a terminal; nothing at all when stderr is a pipe or a log. */
export function progressReporter(stream: Writable, isTty: boolean): ProgressReporter {
  if (!isTty) return { update: () => {}, finish: () => {} };
  let lastDraw = 0;
  let drawn = false;
  let phaseStart = { phase: '', at: 0, bytes: 0 };
  let last = { phase: '', bytes: -1 };
  return {
    update(progress) {
      const now = Date.now();
      if (progress.phase !== phaseStart.phase)
        phaseStart = { phase: progress.phase, at: now, bytes: progress.bytes };
      const complete = progress.bytes >= progress.total;
      if (progress.phase === last.phase && progress.bytes === last.bytes) return;
      if (!complete && now - lastDraw < REDRAW_EVERY_MS) return;
      last = { phase: progress.phase, bytes: progress.bytes };
      lastDraw = now;
      drawn = true;
      const seconds = (now - phaseStart.at) / 1000;
      const rate = seconds > 0.2 ? (progress.bytes - phaseStart.bytes) / seconds : undefined;
      stream.write(`\r\x1b[2K${renderProgress(progress, rate)}`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/** `uploading  [##########..............]  42%  12.0 MiB / 28.5 MiB  310.2 MiB/s` */
export function renderProgress(progress: Progress, bytesPerSecond?: number): string {
  const fraction = progress.total === 0 ? 1 : Math.min(1, progress.bytes / progress.total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const rate = bytesPerSecond === undefined ? '' : `  ${formatBytes(bytesPerSecond)}/s`;
  return `${progress.phase.padEnd(11)} ${bar} ${percent}  ${formatBytes(progress.bytes)} / ${formatBytes(progress.total)}${rate}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
