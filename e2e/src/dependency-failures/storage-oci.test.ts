import { storageOutageSuite } from './storage-outage.js';

storageOutageSuite('oci');
