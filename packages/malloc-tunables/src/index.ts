export {
  MALLOC_TUNABLES,
  MALLOC_TUNABLES_SETTING,
  mallocTunablesMissing,
  withMallocTunables,
} from './malloc-tunables.js';
export { openFreeMemoryRelease, type ReleaseFreeMemory } from './release-free-memory.js';
export { rerunWithMallocTunables } from './rerun.js';
