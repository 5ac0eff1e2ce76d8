/**
 * Runs every clean-up step in order, even after one fails, then throws what failed: a test whose server
 * would not stop still drops its database and removes its folder.
 */
export async function cleanUp(...steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} clean-up steps failed`);
}
