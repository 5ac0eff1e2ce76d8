import { storageOutageSuite } from './storage-outage.js';

storageOutageSuite('azure-blob');
