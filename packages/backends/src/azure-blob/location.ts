import {
  type ContainerNaming,
  formatObjectLocation,
  type ObjectLocation,
  parseObjectLocation,
} from '../object-store/location.js';

const CONTAINER_NAMING: ContainerNaming = {
  noun: 'container',
  pattern: /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
  rules: '3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit',
};

/** `container` or `container/prefix`; INVALID_ARGUMENT naming Azure's container rules or the prefix's. */
export function parseAzureLocation(location: string): ObjectLocation {
  return parseObjectLocation(location, CONTAINER_NAMING);
}

/** The location as stored: `container` or `container/prefix`, without a trailing '/'. */
export function canonicalAzureLocation(location: string): string {
  return formatObjectLocation(parseAzureLocation(location));
}
