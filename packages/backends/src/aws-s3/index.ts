export type { S3Credentials } from './credentials.js';
export type { S3DriverOptions } from './driver.js';
export { awsS3Provider, createAwsS3Provider } from './provider.js';
