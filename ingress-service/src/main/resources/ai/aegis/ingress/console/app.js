// The console's shell: login, navigation (hash routes), and which page shows.
import { api, h, setUnauthorizedHandler, announce } from './api.js';
import * as views from './views.js';

const $ = id => document.getElementById(id);
let cleanup = () => {};

function showLogin(message) {
  cleanup();
  cleanup = () => {};
  $('view').replaceChildren();
  $('nav').hidden = true; $('logout').hidden = true; $('who').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}

function showApp(me) {
  $('login').hidden = true;
  $('nav').hidden = false; $('logout').hidden = false; $('who').hidden = false;
  $('who').textContent = `${me.name} (${(me.roles || []).join(', ') || 'no role'})`;
  route();
}

const ROUTES = [
  [/^#\/executions\/([0-9a-f-]{36})$/i, (v, m) => views.execution(v, m[1])],
  [/^#\/executions(?:\?(.*))?$/, (v, m) => views.executions(v, new URLSearchParams(m[1] || ''))],
  [/^#\/approvals$/, v => views.approvals(v)],
  [/^#\/workflows$/, v => views.workflows(v)],
  [/^#\/workflows\/([^/]+)$/, (v, m) => views.workflow(v, decodeURIComponent(m[1]))],
  [/^#\/workflow-runs\/([0-9a-f-]{36})$/i, (v, m) => views.workflowRun(v, m[1])],
  [/^#\/stimuli$/, v => views.stimuli(v)],
  [/^#\/dead-letters$/, v => views.deadLetters(v)],
];

function route() {
  if (!$('login').hidden) return;
  cleanup();
  const hash = location.hash || '#/executions';
  const view = $('view');
  view.replaceChildren();
  for (const a of document.querySelectorAll('#nav a')) {
    if (hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [pattern, render] of ROUTES) {
    const m = hash.match(pattern);
    if (m) {
      cleanup = render(view, m) || (() => {});
      const title = view.querySelector('h1');
      document.title = `${title ? title.textContent : 'Aegis'} \u2013 Aegis console`;
      return;
    }
  }
  view.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/executions' }, 'Executions')));
  cleanup = () => {};
}

$('login-form').addEventListener('submit', async e => {
  e.preventDefault();
  const token = $('token').value.trim();
  try {
    const me = await api('/console/session', { method: 'POST', body: { token } });
    $('token').value = '';
    announce(`Logged in as ${me.name}`);
    showApp(me);
  } catch (err) {
    $('login-error').textContent = err.status === 401 ? 'That token was refused.' : `Login failed: ${err.message}`;
  }
});

$('logout').addEventListener('click', async () => {
  try { await api('/console/logout', { method: 'POST' }); } catch { /* the cookie is gone or was never there */ }
  showLogin('Logged out.');
});

setUnauthorizedHandler(() => showLogin('Your session ended (its token expired or was refused): log in again.'));
window.addEventListener('hashchange', route);

// The OIDC callback sends failures back as ?login_error=<code>: worded here (never text from the URL), and the
// query removed so that a reload does not show it again.
const LOGIN_ERRORS = {
  state: 'That sign-in expired, was already used or was not started in this browser: sign in again.',
  issuer: 'The identity provider did not complete the sign-in: try again.',
  token: 'Aegis refused the token the identity provider gave (its audience, issuer or nonce): ask an administrator.',
};
const loginError = new URLSearchParams(location.search).get('login_error');
if (loginError !== null) history.replaceState(null, '', location.pathname + location.hash);
const loginMessage = loginError === null ? '' : (LOGIN_ERRORS[loginError] || 'The sign-in failed.');

// "Sign in with <issuer>" only when the ingress has an OIDC login configured (404 otherwise).
api('/console/oidc/config').then(cfg => {
  $('oidc-login').textContent = `Sign in with ${cfg.issuer}`;
  $('oidc').hidden = false;
}).catch(() => { /* token login only */ });

api('/console/session').then(showApp).catch(() => showLogin(loginMessage));
