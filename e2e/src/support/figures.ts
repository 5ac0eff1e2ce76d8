import { appendFileSync } from 'node:fs';

/**
 * The figures a fault test measured (time to UNAVAILABLE, time to recover, bytes sent again), appended
 * as one JSON line per test to the file `$CAIRN_E2E_FIGURES` names, for RELIABILITY.md. Without the
 * variable nothing is written.
 */
export function recordFigures(test: string, figures: Readonly<Record<string, number | string>>): void {
  const file = process.env.CAIRN_E2E_FIGURES;
  if (file === undefined || file === '') return;
  appendFileSync(file, `${JSON.stringify({ test, ...figures })}\n`);
}
