// Each panel loads on its own. Analytics answers 503 with Retry-After when its query slots stay
// busy (QUERY_CONCURRENCY, QUERY_WAIT_MS): one refused report used to fail the whole refresh and
// blank the page's status with an error. Now a panel refused (or cut off by the network) keeps
// its last data, says it is retrying, and asks again after Retry-After, while the others draw.
import { $ } from './dom.js';

/** Answers worth asking again for: the service is busy or out of reach, not the request wrong. */
const TRANSIENT = new Set([0, 502, 503, 504]);
/** Then the loop stops, says so, and the next refresh starts another. */
const MAX_ATTEMPTS = 5;
const MAX_DELAY_S = 60;

/** The retry loop of each panel, by name: at most one, so a busy service sees no storm. */
const loops = new Map();
let failed = () => {};

/** Where an error of a retry goes when it is not transient (a session that ended, a 403). */
export function whenRetryFails(callback) {
  failed = callback;
}

/**
 * Loads `panels` side by side; resolves once each first attempt settled, to the first error that
 * is not transient and that the panel did not show itself (the refresh reports it). A panel still
 * waiting out a Retry-After is left to its loop, unless `restart` (the range or an input changed):
 * a poll must not ask sooner than the service said.
 */
export async function loadPanels(panels, restart) {
  const errors = await Promise.all(
    panels.map((panel) => (restart || !loops.has(panel.name) ? start(panel) : undefined)),
  );
  return errors.find(Boolean);
}

/** Stops every loop and clears the panels' marks (sign-out). */
export function cancelRetries() {
  for (const name of [...loops.keys()]) cancel(name);
  for (const el of document.querySelectorAll('[data-state]')) delete el.dataset.state;
  for (const el of document.querySelectorAll('.panel .state')) el.remove();
}

function cancel(name) {
  const loop = loops.get(name);
  if (!loop) return;
  loops.delete(name);
  clearTimeout(loop.timer);
  loop.controller.abort();
}

function start(panel) {
  cancel(panel.name);
  const loop = { controller: new AbortController(), timer: 0 };
  loops.set(panel.name, loop);
  return attempt(panel, loop, 1);
}

async function attempt(panel, loop, n) {
  const current = () => loops.get(panel.name) === loop;
  let body;
  try {
    body = await panel.load(loop.controller.signal);
  } catch (error) {
    if (!current()) return undefined;
    if (!TRANSIENT.has(error.status)) {
      loops.delete(panel.name);
      mark(panel, '');
      return panel.shows?.(error) ? undefined : error;
    }
    if (n >= MAX_ATTEMPTS) {
      loops.delete(panel.name);
      mark(
        panel,
        'unavailable',
        `${error.message}; asked ${n} times, again with the next refresh.`,
      );
      return undefined;
    }
    const ms = delay(error.retryAfter, n);
    mark(panel, 'retrying', `${error.message}; asking again in ${Math.round(ms / 1000)} s.`);
    loop.timer = setTimeout(async () => {
      const next = await attempt(panel, loop, n + 1);
      if (next) failed(next);
    }, ms);
    return undefined;
  }
  if (!current()) return undefined;
  loops.delete(panel.name);
  mark(panel, '');
  panel.show(body);
  return undefined;
}

/**
 * Retry-After when the service gave one (it knows when a slot frees), else 2, 4, 8… seconds;
 * at most a minute, and a quarter more at random so that many open dashboards refused together
 * do not come back together.
 */
function delay(retryAfter, n) {
  const seconds = Math.min(MAX_DELAY_S, Math.max(1, retryAfter ?? 2 ** n));
  return seconds * 1000 * (1 + Math.random() / 4);
}

/** `retrying` or `unavailable` on the panel's charts and a small badge in its title; '' clears. */
function mark(panel, state, why = '') {
  for (const id of panel.charts) {
    const el = $(id);
    if (state) el.dataset.state = state;
    else delete el.dataset.state;
  }
  const title = $(panel.charts[0]).closest('.panel')?.querySelector('h2');
  if (!title) return;
  let badge = title.querySelector('.state');
  if (!state) return badge?.remove();
  if (!badge) {
    badge = document.createElement('span');
    badge.className = 'state';
    title.append(badge);
  }
  badge.textContent = state === 'retrying' ? 'retrying…' : 'unavailable';
  badge.title = why;
}
