// The analytics dashboard's entry: signs an admin in, then redraws every chart from the analytics
// API every few seconds while the page is visible.
import { destroyCharts } from './charts.js';
import { $ } from './dom.js';
import { cancelRetries, whenRetryFails } from './panels.js';
import { refresh } from './reports.js';
import { forget, session, signIn, signOut, whenEnded } from './session.js';

const REFRESH_MS = 5000;
let pollTimer = null;

function signedOut(error) {
  forget();
  clearInterval(pollTimer);
  cancelRetries();
  destroyCharts();
  $('charts').hidden = true;
  $('controls').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error?.message ?? '';
}
whenEnded(signedOut);

/** A refresh, or a panel's retry, that failed for good: back to sign-in when the session did. */
function failed(error) {
  if (!session.refresh || /session has ended/.test(error.message) || error.status === 401)
    return signedOut(
      error.status === 401 ? new Error('Your session has ended; sign in again.') : error,
    );
  if (error.status === 403) return signedOut(new Error('This account may not read analytics.'));
  $('status').textContent = `Could not refresh: ${error.message}`;
}
whenRetryFails(failed);

/** The redraw under way, and whether another was asked for meanwhile (and with `restart`). */
let drawing = null;
let again = false;
let restartAgain = false;

/**
 * Redraws, one redraw at a time: on a large range the reports (funnel, retention) take longer
 * than REFRESH_MS, and a timer that started more while they ran piled them up in the service,
 * each holding its events in memory. A request made meanwhile (a new range) runs right after.
 */
function tick(restart = false) {
  if (document.hidden || !session.access) return;
  if (drawing) {
    again = true;
    restartAgain ||= restart;
    return drawing;
  }
  drawing = (async () => {
    let fresh = restart;
    do {
      again = false;
      restartAgain = false;
      try {
        await refresh(fresh);
      } catch (error) {
        failed(error);
      }
      fresh = restartAgain;
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
  // A poll leaves a panel waiting out a Retry-After to its own retry; a change asks them all anew.
  pollTimer = setInterval(() => tick(), REFRESH_MS);
  return tick(true);
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
$('range').addEventListener('change', () => tick(true));
for (const id of ['funnel-form', 'retention-form']) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    tick(true);
  });
  $(id).addEventListener('change', () => tick(true));
}
$('signin').hidden = false;
