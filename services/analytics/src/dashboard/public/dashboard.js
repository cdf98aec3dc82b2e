// The analytics dashboard's entry: signs an admin in, then redraws every chart from the analytics
// API every few seconds while the page is visible.
import { destroyCharts } from './charts.js';
import { $ } from './dom.js';
import { refresh } from './reports.js';
import { forget, session, signIn, signOut, whenEnded } from './session.js';

const REFRESH_MS = 5000;
let pollTimer = null;

function signedOut(error) {
  forget();
  clearInterval(pollTimer);
  destroyCharts();
  $('charts').hidden = true;
  $('controls').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error?.message ?? '';
}
whenEnded(signedOut);

/** The redraw under way, and whether another was asked for meanwhile. */
let drawing = null;
let again = false;

/**
 * Redraws, one redraw at a time: on a large range the reports (funnel, retention) take longer
 * than REFRESH_MS, and a timer that started more while they ran piled them up in the service,
 * each holding its events in memory. A request made meanwhile (a new range) runs right after.
 */
function tick() {
  if (document.hidden || !session.access) return;
  if (drawing) {
    again = true;
    return drawing;
  }
  drawing = (async () => {
    do {
      again = false;
      try {
        await refresh();
      } catch (error) {
        if (!session.refresh || /session has ended/.test(error.message)) return signedOut(error);
        $('status').textContent = `Could not refresh: ${error.message}`;
      }
    } while (again && session.access && !document.hidden);
  })().finally(() => {
    drawing = null;
  });
  return drawing;
}

function signedIn() {
  $('signin').hidden = true;
  $('charts').hidden = false;
  $('controls').hidden = false;
  $('who').textContent = session.user?.email ?? '';
  clearInterval(pollTimer);
  pollTimer = setInterval(tick, REFRESH_MS);
  return tick();
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button');
  button.disabled = true;
  $('signin-error').textContent = '';
  try {
    await signIn(form.elements.login.value.trim(), form.elements.password.value);
    form.reset();
    await signedIn();
  } catch (error) {
    $('signin-error').textContent = error.message;
  } finally {
    button.disabled = false;
  }
});
$('signout').addEventListener('click', () => {
  signOut();
  signedOut();
});
$('range').addEventListener('change', () => tick());
for (const id of ['funnel-form', 'retention-form']) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    tick();
  });
  $(id).addEventListener('change', () => tick());
}
$('signin').hidden = false;
