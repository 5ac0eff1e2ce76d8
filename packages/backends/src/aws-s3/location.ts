import {
  type ContainerNaming,
  formatObjectLocation,
  type ObjectLocation,
  parseObjectLocation,
} from '../object-store/location.js';

const BUCKET_NAMING: ContainerNaming = {
  noun: 'bucket',
  pattern: /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  rules: '3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit',
};

/** `bucket` or `bucket/prefix`; INVALID_ARGUMENT naming S3's bucket rules or the prefix's. */
export function parseS3Location(location: string): ObjectLocation {
  return parseObjectLocation(location, BUCKET_NAMING);
}

/** The location as stored: `bucket` or `bucket/prefix`, without a trailing '/'. */
export function canonicalS3Location(location: string): string {
  return formatObjectLocation(parseS3Location(location));
}
