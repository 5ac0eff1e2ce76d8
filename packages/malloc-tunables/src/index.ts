export {
  MALLOC_TUNABLES,
  MALLOC_TUNABLES_SETTING,
  mallocTunablesMissing,
  withMallocTunables,
} from './malloc-tunables.js';
export { rerunWithMallocTunables } from './rerun.js';
