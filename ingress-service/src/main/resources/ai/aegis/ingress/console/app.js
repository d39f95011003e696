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

setUnauthorizedHandler(() => showLogin('Your session ended: log in again.'));
window.addEventListener('hashchange', route);

api('/console/session').then(showApp).catch(() => showLogin(''));
