import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const GRAFANA = path.resolve(import.meta.dirname, '../../../deploy/grafana');

interface Target {
  refId: string;
  query: string;
  rawQuery: boolean;
  datasource: { type: string; uid: string };
}

export interface Panel {
  id: number;
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: string; uid: string };
  targets: Target[];
}

export async function grafanaDashboard() {
  const file = path.join(GRAFANA, 'dashboards/analytics.json');
  return JSON.parse(await readFile(file, 'utf8')) as {
    uid: string;
    panels: Panel[];
    templating: { list: { name: string; query: string; datasource: { uid: string } }[] };
  };
}

/** Grafana's macros, as Grafana expands them for the last hour, one-minute buckets, every service. */
export function expand(query: string): string {
  return query
    .replaceAll('$timeFilter', 'time > now() - 1h')
    .replaceAll('$__interval', '1m')
    .replaceAll('$service', '.*');
}
