import { storageOutageSuite } from './storage-outage.js';

storageOutageSuite('aws-s3');
