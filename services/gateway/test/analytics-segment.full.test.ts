import { after } from 'node:test';
import { startInflux, type TestInflux } from '@platform/testing';
import { segmentThroughTheGateway } from './analytics-segment.ts';

let influx: TestInflux | undefined;
after(() => influx?.stop());

segmentThroughTheGateway('Segment clients through the gateway (InfluxDB store)', async () => {
  influx = await startInflux();
  return { INFLUX_URL: influx.url, INFLUX_DB: 'segment' };
});
