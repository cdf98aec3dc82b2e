/**
 * `npm run bench:main [-- --posts N]`: the main service (with auth beside it, for its keys) on an
 * embedded PostgreSQL seeded with N posts (default 1,000,000). For each filter and sort it prints
 * the service's p50/p95 over HTTP for the first page and for page 1,000 (a cursor built for that
 * position, exactly as walking the pages would reach it; the last page when a filter has fewer),
 * the rows Postgres scanned for that page (EXPLAIN ANALYZE) and whether posts was read by a
 * sequential scan. Anonymous pages are cached per list stamp (src/posts/list-cache.ts), so the
 * HTTP figures after the first request are cache hits; `sql p50/p95` time the page's query itself
 * on its own connection, as the service runs it on a miss. Then req/s and p99 of a list page next to /health/live on the same process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDatabase } from '@platform/db';
import { startEmbeddedPostgres } from '@platform/launcher';
import autocannon from 'autocannon';
import pg from 'pg';
import { seed } from '../services/main/scripts/seed.ts';
import { encodeCursor } from '../services/main/src/posts/cursor.ts';
import { align, startService, stopServices } from './bench-lib.ts';
import { type Case, explain, reach, timeQuery } from './bench-main-plans.ts';

const { values: args } = parseArgs({
  options: {
    posts: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '40' },
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '5' },
    /** Keep the seeded PostgreSQL here and reuse it next time (seeding 1M posts takes minutes). */
    data: { type: 'string' },
    /** The service's SEARCH_RANK_WINDOW. */
    'rank-window': { type: 'string', default: '500' },
  },
});
const POSTS = Number(args.posts);
const SAMPLES = Number(args.samples);
const SECONDS = Number(args.seconds);
const PAGE = 20;
const DEEP_PAGE = 1000;
const RANK_WINDOW = Number(args['rank-window']);

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/** At most SAMPLES requests, and no more than 20 s of them (at least 5) for a slow case. */
async function timeGets(url: string): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  const until = Date.now() + 20_000;
  for (let i = 0; i < SAMPLES + 3 && (i < 8 || Date.now() < until); i++) {
    const started = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
    if (i >= 3) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

async function measureLoad(name: string, url: string) {
  process.stderr.write(`measuring ${name} for ${SECONDS} s…\n`);
  const r = await autocannon({ url, connections: 16, duration: SECONDS });
  return { name, rps: r.requests.average, p99: r.latency.p99, failed: r.non2xx + r.errors };
}

const scratch = args.data
  ? path.resolve(args.data)
  : await mkdtemp(path.join(tmpdir(), 'bench-main-'));
const postgres = await startEmbeddedPostgres({ dataDir: scratch });
try {
  const mainDb = await ensureDatabase(postgres.url, 'main');
  const started = Date.now();
  const present = await countPosts(mainDb);
  if (present !== POSTS) {
    if (present > 0) throw new Error(`${scratch} holds ${present} posts, not ${POSTS}`);
    await seed(mainDb, {
      posts: POSTS,
      onProgress: (done) => process.stderr.write(`\rseeding: ${done} / ${POSTS} posts`),
    });
  }
  const seedSeconds = (Date.now() - started) / 1000;
  process.stderr.write(`\nseeded in ${seedSeconds.toFixed(0)} s\n`);

  // Auth seals its signing keys with this run's KEY_ENCRYPTION_KEY: a kept folder's auth
  // database from an earlier run would not open, and main only needs auth for its keys.
  await dropDatabase(postgres.url, 'auth');
  const authUrl = await startService('auth', {
    DATABASE_URL: await ensureDatabase(postgres.url, 'auth'),
    PUBLIC_URL: 'http://127.0.0.1',
    MAIL_DIR: path.join(scratch, 'mail'),
  });
  const mainUrl = await startService('main', {
    DATABASE_URL: mainDb,
    AUTH_URL: authUrl,
    SEARCH_RANK_WINDOW: String(RANK_WINDOW),
  });

  const db = new pg.Client({ connectionString: mainDb });
  await db.connect();
  const one = async (text: string) => (await db.query(text)).rows[0];
  const category = await one(
    `select c.id, c.slug from categories c order by (select count(*) from posts p where p.category_id = c.id) desc limit 1`,
  );
  const [tagA, tagB] = (await db.query('select slug from tags order by post_count desc limit 2'))
    .rows as { slug: string }[];
  const author = await one(
    `select author_id from posts group by author_id order by count(*) desc limit 1`,
  );
  const cases: Case[] = [
    { name: 'sort -published_at', query: {}, order: '-published_at', filters: {} },
    {
      name: 'sort published_at',
      query: { sort: 'published_at' },
      order: 'published_at',
      filters: {},
    },
    { name: 'sort -created_at', query: { sort: '-created_at' }, order: '-created_at', filters: {} },
    { name: 'sort title', query: { sort: 'title' }, order: 'title', filters: {} },
    {
      name: `category=${category.slug}`,
      query: { category: category.slug },
      order: '-published_at',
      filters: { categoryId: category.id },
    },
    {
      name: `tag=${tagA!.slug}`,
      query: { tag: tagA!.slug },
      order: '-published_at',
      filters: { tags: [tagA!.slug] },
    },
    {
      name: `tag=${tagA!.slug}&tag=${tagB!.slug}`,
      query: { tag: [tagA!.slug, tagB!.slug] },
      order: '-published_at',
      // The service walks the rarer tag's index first (list-service.ts), and so does this plan.
      filters: { tags: [tagB!.slug, tagA!.slug] },
    },
    {
      name: 'author=<most posts>',
      query: { author: author.author_id },
      order: '-published_at',
      filters: { authorId: author.author_id },
    },
    {
      name: 'published in 2 months',
      query: { published_after: monthsAgo(8), published_before: monthsAgo(6) },
      order: '-published_at',
      filters: { publishedAfter: monthsAgo(8), publishedBefore: monthsAgo(6) },
    },
    {
      name: 'q=rare word, ranked',
      query: { q: 'riverengine' },
      order: 'rank',
      filters: { q: 'riverengine' },
    },
    {
      name: 'q=common word, -published_at',
      query: { q: 'garden', sort: '-published_at' },
      order: '-published_at',
      filters: { q: 'garden' },
    },
    {
      name: 'q=common word, ranked',
      query: { q: 'garden' },
      order: 'rank',
      filters: { q: 'garden' },
    },
    {
      name: 'q=common word, ranked (window)',
      query: { q: 'garden' },
      order: 'rank',
      filters: { q: 'garden' },
      // Still among the RANK_WINDOW newest matches, ranked on every page.
      deepPage: Math.floor(RANK_WINDOW / PAGE) - 1,
    },
    {
      name: 'q=rare word, ranked, tag',
      query: { q: 'riverengine', tag: tagA!.slug },
      order: 'rank',
      filters: { q: 'riverengine', tags: [tagA!.slug] },
    },
    {
      name: 'q=common word, ranked, tag',
      query: { q: 'garden', tag: tagA!.slug },
      order: 'rank',
      filters: { q: 'garden', tags: [tagA!.slug] },
    },
  ];

  const header = [
    'filter',
    'matches',
    'p1 p50',
    'p1 p95',
    'p1 rows',
    'p1 sql50',
    'p1 sql95',
    'page',
    'pN p50',
    'pN p95',
    'pN rows',
    'pN sql50',
    'pN sql95',
    'seq scan',
  ];
  const out: string[][] = [header];
  for (const c of cases) {
    process.stderr.write(`measuring ${c.name}…\n`);
    const wanted = c.deepPage ?? DEEP_PAGE;
    const { available, deepPage, after, plans } = await reach(db, c, wanted, {
      page: PAGE,
      rankWindow: RANK_WINDOW,
    });
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(c.query)) for (const x of [v].flat()) params.append(k, x);
    params.set('limit', String(PAGE));
    const first = await timeGets(`${mainUrl}/main/v1/posts?${params}`);
    const firstPlan = await explain(db, plans.first);
    const firstSql = await timeQuery(db, plans.first, SAMPLES);
    if (after) params.set('cursor', encodeCursor(after));
    const deep = await timeGets(`${mainUrl}/main/v1/posts?${params}`);
    const deepPlan = await explain(db, plans.deep);
    const deepSql = await timeQuery(db, plans.deep, SAMPLES);
    out.push([
      c.name,
      available >= (wanted - 1) * PAGE ? `≥${(wanted - 1) * PAGE}` : String(available),
      first.p50.toFixed(1),
      first.p95.toFixed(1),
      String(firstPlan.rows),
      firstSql.p50.toFixed(1),
      firstSql.p95.toFixed(1),
      String(deepPage),
      deep.p50.toFixed(1),
      deep.p95.toFixed(1),
      String(deepPlan.rows),
      deepSql.p50.toFixed(1),
      deepSql.p95.toFixed(1),
      firstPlan.seqScan || deepPlan.seqScan ? 'YES' : 'no',
    ]);
  }
  await db.end();

  const live = await measureLoad('GET /health/live', `${mainUrl}/health/live`);
  const list = await measureLoad(
    'GET /main/v1/posts?limit=20',
    `${mainUrl}/main/v1/posts?limit=20`,
  );

  const seeded = present === POSTS ? `reused ${scratch}` : `seeded in ${seedSeconds.toFixed(0)} s`;
  console.log(`\nmain service, ${POSTS} posts (${seeded}); times in ms over HTTP,`);
  console.log(
    `up to ${SAMPLES} sequential requests each; rows = rows read by scan nodes in EXPLAIN ANALYZE;\n` +
      `sql = the page's query alone, uncached (what a signed-in caller or the first reader after a write waits for);\n` +
      `ranked: the ${RANK_WINDOW} newest matches (SEARCH_RANK_WINDOW), then older ones by date\n`,
  );
  console.log(align(out));
  console.log(
    `\n${align([
      ['', 'req/s', 'p99 ms', 'failed'],
      ...[live, list].map((r) => [r.name, r.rps.toFixed(0), r.p99.toFixed(1), String(r.failed)]),
    ])}\n`,
  );
  console.log(
    `GET /main/v1/posts?limit=20 vs GET /health/live: ${(list.rps / live.rps).toFixed(2)}x the req/s, ` +
      `${live.p99 > 0 ? `${(list.p99 / live.p99).toFixed(2)}x` : 'n/a'} the p99`,
  );
  if (live.failed + list.failed > 0) process.exitCode = 1;
} finally {
  await stopServices();
  await postgres.stop();
  if (!args.data) await rm(scratch, { recursive: true, force: true });
}

async function dropDatabase(adminUrl: string, name: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}"`);
  } finally {
    await client.end();
  }
}

async function countPosts(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`select to_regclass('posts') is not null as present`);
    if (!rows[0].present) return 0;
    return (await client.query('select count(*)::int as n from posts')).rows[0].n;
  } finally {
    await client.end();
  }
}

function monthsAgo(months: number): string {
  const d = new Date();
  d.setUTCMonth(d.getUTCMonth() - months, 1);
  d.setUTCHours(0, 0, 0, 0);
  return d.toISOString();
}
