import { after, before } from 'node:test';
import { startInflux, type TestInflux } from '@platform/testing';
import { createInfluxStore } from '../src/store/influx.ts';
import { storeContract } from './store-contract.ts';

let influx: TestInflux;
let databases = 0;
before(async () => {
  influx = await startInflux();
});
after(() => influx.stop());

storeContract('InfluxDB store', async () => {
  databases += 1;
  return createInfluxStore({
    url: influx.url,
    database: `contract_${databases}`,
    retentionDays: 3650,
  });
});
