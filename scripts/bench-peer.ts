/**
 * `npm run bench:peer`: main's list against a peer written the usual way, measured in one run.
 * The peer is the Django REST framework stack in `../shared/peers/django` (or `PEER_DJANGO_DIR`):
 * its `up.sh` installs it from Debian's packages, starts Debian's PostgreSQL 15, seeds 10,000
 * posts and serves them on 127.0.0.1:8900 with gunicorn. Main gets the same 10,000 posts (same
 * titles, bodies, 20 categories, 50 tags, three each) in its own database on that same PostgreSQL
 * server, and `wrk -t1 -c16` measures `GET /main/v1/posts?limit=20` on Django, on main directly
 * and on main through the gateway, in rotated rounds (median per target, so a neighbour's burst on
 * the shared cores skews one sample of each rather than all of one). Only 2xx answers count.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase, runMigrations } from '@platform/db';
import { edgeRoutesSetting, loadManifests } from '@platform/manifest';
import pg from 'pg';
import { migrationsFolder } from '../services/main/src/db/index.ts';
import { align, cpuSeconds, cpuUsed, root, startService, stopServices } from './bench-lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PEER_DIR = path.resolve(
  root,
  process.env.PEER_DJANGO_DIR ?? path.join('..', 'shared', 'peers', 'django'),
);
const PEER_URL = 'http://127.0.0.1:8900';
/** Debian's PostgreSQL 15 as up.sh leaves it: the peer's database and ours on one server. */
const SERVER_URL =
  process.env.PEER_DATABASE_URL ?? 'postgres://postgres:pw@127.0.0.1:5432/postgres';
const PATH = '/main/v1/posts?limit=20';

if (!existsSync(path.join(PEER_DIR, 'up.sh'))) {
  console.error(
    `bench:peer: no Django peer at ${PEER_DIR} (expected up.sh there); ` +
      'set PEER_DJANGO_DIR to the folder that holds it',
  );
  process.exit(2);
}
if (spawnSync('wrk', ['--version']).error) {
  console.error('bench:peer: wrk is not installed (up.sh installs it: apt-get install wrk)');
  process.exit(2);
}

process.stderr.write(`bringing up the peer from ${PEER_DIR}…\n`);
const up = spawnSync('bash', [path.join(PEER_DIR, 'up.sh')], { stdio: 'inherit' });
if (up.status !== 0) {
  console.error(`bench:peer: ${PEER_DIR}/up.sh failed (exit ${up.status})`);
  process.exit(2);
}

/** The peer's seed (seed.sql) in main's tables: the same posts, categories and tags. */
const SEED = `
truncate posts, post_tags, tags, categories cascade;
insert into categories (slug, name) select 'cat-' || i, 'Category ' || i from generate_series(1, 20) i;
insert into posts (title, slug, body, excerpt, status, author_id, category_id, tags, created_at, updated_at, published_at)
select 'Post ' || i, 'post-' || i, repeat('Lorem ipsum dolor sit amet. ', 40), 'Lorem ipsum', 'published',
       md5('user-' || (i % 100))::uuid, (select id from categories where slug = 'cat-' || (1 + i % 20)),
       array(select distinct 'tag-' || (1 + ((i * k) % 50)) from generate_series(1, 3) k),
       now(), now(), now() - (i || ' minutes')::interval
from generate_series(1, 10000) i;
insert into post_tags (post_id, tag, status, published_sort, search_sig)
select p.id, t.tag, p.status, p.published_sort, s.sig
from posts p, search_sig(tsvector_to_array(p.search)) s(sig), unnest(p.tags) t(tag);
insert into tags (slug, post_count) select tag, count(*) from post_tags group by tag;`;

interface Sample {
  ok: number;
  rps: number;
}

/** One wrk run; 2xx per second = (requests − non-2xx/3xx − timeouts) / duration. */
function wrk(url: string, seconds: number): Sample {
  const run = spawnSync('wrk', ['-t1', '-c16', `-d${seconds}s`, '--latency', url], {
    encoding: 'utf8',
  });
  const out = run.stdout ?? '';
  const total = Number(/(\d+) requests in ([\d.]+)(m?s)/.exec(out)?.[1] ?? 0);
  const duration = /requests in ([\d.]+)(m?s)/.exec(out);
  const secs = duration ? Number(duration[1]) / (duration[2] === 'ms' ? 1000 : 1) : seconds;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const timeouts = Number(/timeout (\d+)/.exec(out)?.[1] ?? 0);
  const ok = Math.max(0, total - non2xx - timeouts);
  if (run.status !== 0 || total === 0) throw new Error(`wrk ${url} failed:\n${out}${run.stderr}`);
  return { ok, rps: ok / secs };
}

const scratch = await mkdtemp(path.join(tmpdir(), 'bench-peer-'));
try {
  const mainDb = await ensureDatabase(SERVER_URL, 'bench_peer_main');
  await runMigrations(mainDb, migrationsFolder);
  const client = new pg.Client({ connectionString: mainDb });
  await client.connect();
  await client.query(SEED);
  // The peer's tables were just written too: both sides plan with fresh statistics.
  for (const table of ['posts', 'post_tags', 'tags', 'categories']) {
    await client.query(`vacuum analyze ${table}`);
  }
  await client.end();

  // Auth seals its signing keys with this run's KEY_ENCRYPTION_KEY: a fresh database each run.
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query('drop database if exists bench_peer_auth with (force)');
  await admin.end();
  const auth = await startService('auth', {
    DATABASE_URL: await ensureDatabase(SERVER_URL, 'bench_peer_auth'),
    PUBLIC_URL: 'http://127.0.0.1',
    MAIL_DIR: path.join(scratch, 'mail'),
  });
  const main = await startService(
    'main',
    { DATABASE_URL: mainDb, AUTH_URL: auth },
    { profile: true },
  );
  const unlimited = String(1e9);
  const gateway = await startService(
    'gateway',
    {
      AUTH_URLS: auth,
      MAIN_URLS: main,
      AUTH_URL: auth,
      // As npm start, Compose and Kubernetes configure it: the routes the manifests treat apart
      // (main's anonymous list is one the gateway may answer from its cache while current).
      EDGE_ROUTES: edgeRoutesSetting(loadManifests(root)),
      RATE_LIMIT_PER_ADDRESS: unlimited,
      RATE_LIMIT_PER_USER: unlimited,
      RATE_LIMIT_PER_ADDRESS_SIGNED_IN: unlimited,
    },
    { profile: true },
  );

  const targets = [
    { name: 'Django REST framework (gunicorn, 2 workers)', url: PEER_URL + PATH },
    { name: 'main directly', url: main + PATH },
    { name: 'main through the gateway', url: gateway + PATH },
  ];
  const sizes = new Map<string, number>();
  for (const t of targets) {
    const response = await fetch(t.url);
    const body = await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${t.url}: ${response.status}`);
    sizes.set(t.name, body.byteLength);
    wrk(t.url, 1); // warm-up: pools, JIT and caches in place before anything counts
  }
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  // CPU per answer of our own processes: what each path costs, whatever the neighbours do.
  const cpu = new Map(targets.map((t) => [t.name, { ok: 0, seconds: new Map<string, number>() }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + round) % targets.length]!;
      process.stderr.write(`round ${round + 1}/${ROUNDS}: ${t.name} for ${SECONDS} s…\n`);
      const before = await cpuSeconds();
      const run = wrk(t.url, SECONDS);
      const used = cpuUsed(before, await cpuSeconds());
      samples.get(t.name)!.push(run.rps);
      const total = cpu.get(t.name)!;
      total.ok += run.ok;
      for (const [name, seconds] of used)
        total.seconds.set(name, (total.seconds.get(name) ?? 0) + seconds);
    }
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const rps = new Map(targets.map((t) => [t.name, median(samples.get(t.name)!)]));
  const django = rps.get(targets[0]!.name)!;
  const direct = rps.get(targets[1]!.name)!;
  const gatewayRps = rps.get(targets[2]!.name)!;
  console.log(
    `\nGET ${PATH}, 10,000 posts on one PostgreSQL 15 server; wrk -t1 -c16, ` +
      `median of ${ROUNDS} × ${SECONDS} s, 2xx only\n`,
  );
  console.log(
    align([
      ['', 'req/s', 'vs Django', 'rounds', 'page bytes'],
      ...targets.map((t) => [
        t.name,
        rps.get(t.name)!.toFixed(0),
        `${(rps.get(t.name)! / django).toFixed(2)}×`,
        samples
          .get(t.name)!
          .map((r) => r.toFixed(0))
          .join(' / '),
        String(sizes.get(t.name)),
      ]),
    ]),
  );
  const ours = ['main', 'gateway', 'auth'];
  console.log(
    `\n${align([
      ['CPU µs per 2xx answer', ...ours],
      ...targets.slice(1).map((t) => {
        const c = cpu.get(t.name)!;
        return [t.name, ...ours.map((n) => (((c.seconds.get(n) ?? 0) / c.ok) * 1e6).toFixed(0))];
      }),
    ])}`,
  );
  console.log(
    `\nmain directly vs Django: ${(direct / django).toFixed(2)}× (target ≥ 10); ` +
      `gateway vs direct: ${(gatewayRps / direct).toFixed(2)} (target ≥ 0.8)`,
  );
} finally {
  await stopServices();
  await rm(scratch, { recursive: true, force: true });
}
