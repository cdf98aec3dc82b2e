import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { GRAFANA, grafanaDashboard } from './dashboard-grafana.ts';

const read = (file: string) => readFile(path.join(GRAFANA, file), 'utf8');

test('the Grafana dashboard uses only the provisioned data source, with raw InfluxQL', async () => {
  const datasource = await read('datasources/influxdb.yaml');
  const uid = /^\s+uid: (\S+)$/m.exec(datasource)?.[1];
  assert.equal(uid, 'analytics-influxdb');
  assert.match(datasource, /type: influxdb/);
  for (const variable of ['INFLUX_URL', 'INFLUX_DB', 'INFLUX_USERNAME', 'INFLUX_PASSWORD']) {
    assert.match(datasource, new RegExp(`\\$${variable}\\b`), `reads ${variable}`);
  }
  const dashboard = await grafanaDashboard();
  assert.ok(dashboard.panels.length >= 10);
  for (const panel of dashboard.panels) {
    assert.equal(panel.datasource.uid, uid, panel.title);
    assert.ok(panel.targets.length > 0, panel.title);
    for (const target of panel.targets) {
      assert.equal(target.datasource.uid, uid, panel.title);
      assert.equal(target.rawQuery, true, panel.title);
      assert.match(target.query, /FROM "(requests|requests_1m|events)"/, panel.title);
    }
  }
  for (const variable of dashboard.templating.list) assert.equal(variable.datasource.uid, uid);
});

test('panels sit on the 24-column grid without overlapping', async () => {
  const { panels } = await grafanaDashboard();
  const cells = new Map<string, string>();
  for (const { title, gridPos: g } of panels) {
    assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${title} fits the width`);
    for (let x = g.x; x < g.x + g.w; x++) {
      for (let y = g.y; y < g.y + g.h; y++) {
        const taken = cells.get(`${x},${y}`);
        assert.equal(taken, undefined, `${title} overlaps ${taken}`);
        cells.set(`${x},${y}`, title);
      }
    }
  }
});

test('the dashboards provider reads the folder Compose mounts', async () => {
  const provider = await read('dashboards/analytics.yaml');
  assert.match(provider, /path: \/etc\/grafana\/provisioning\/dashboards$/m);
  const compose = await readFile(path.resolve(GRAFANA, '../../compose.yaml'), 'utf8');
  assert.match(compose, /- \.\/deploy\/grafana:\/etc\/grafana\/provisioning(:ro)?$/m);
});
