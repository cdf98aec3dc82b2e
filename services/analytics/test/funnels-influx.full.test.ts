import { after } from 'node:test';
import { startInflux } from '@platform/testing';
import { funnelsContract } from './funnels-contract.ts';
import { buildTestAnalytics } from './helper.ts';

const influx = await startInflux();
after(() => influx.stop());
funnelsContract(
  'InfluxDB',
  await buildTestAnalytics({ INFLUX_URL: influx.url, INFLUX_DB: 'funnels' }),
);
