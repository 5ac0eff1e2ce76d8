import type { CommandContext } from '../context.js';
import { printResult, renderTable } from '../output.js';
import { formatSize } from '../sizes.js';
import { type MaterialView, storedWhere } from './run-view.js';

/** NAME KIND DIGEST SIZE STORED (and ANNOTATIONS with `full`); digests are shortened unless `full`. */
export function materialTable(materials: readonly MaterialView[], full: boolean): string {
  const head = ['NAME', 'KIND', 'DIGEST', 'SIZE', 'STORED', ...(full ? ['ANNOTATIONS'] : [])];
  const rows = materials.map((material) => [
    material.name,
    material.kind,
    full ? material.digest : `${material.digest.slice(0, 'sha256:'.length + 12)}…`,
    formatSize(material.size),
    storedWhere(material.location),
    ...(full
      ? [
          Object.entries(material.annotations)
            .map(([key, value]) => `${key}=${value}`)
            .join(' '),
        ]
      : []),
  ]);
  return renderTable(head, rows);
}

export function printMaterials(
  context: CommandContext,
  materials: readonly MaterialView[],
  full: boolean,
  json: unknown,
): void {
  printResult(context, { table: () => materialTable(materials, full), json });
}
