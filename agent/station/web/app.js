// The line station in the browser: a client of the documented API (docs/openapi.yaml) and nothing
// else. Session and CSRF token come from GET /api/v1/session; the line view lives on
// /api/v1/stream (server-sent events).
import { views } from './views.js';
import { api, ApiError, can, h, hooks, sawServerTime, since, state } from './lib.js';

function openStream() {
  if (state.stream) return;
  const es = new EventSource('/api/v1/stream');
  const apply = (e, full) => {
    const msg = JSON.parse(e.data);
    sawServerTime(msg.at);
    if (full) state.tiles.clear();
    for (const t of msg.machines) state.tiles.set(t.id, t);
    state.onTiles?.(msg.machines, full);
  };
  es.addEventListener('resync', (e) => apply(e, true));
  es.addEventListener('tiles', (e) => apply(e, false));
  // The session ended (logout elsewhere, expiry): no reconnect, show who we are now (the login).
  es.addEventListener('end', () => {
    closeStream();
    refreshSession();
  });
  state.stream = es;
}

function closeStream() {
  state.stream?.close();
  state.stream = null;
}

async function logout() {
  closeStream();
  try {
    await api('/api/v1/session', { method: 'DELETE' });
  } catch {
    // the session may have ended already
  }
  state.session = null;
  location.hash = '#/line';
  render();
}

function loginView(main) {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'bad', id: 'login-error' });
  const form = h('form', { class: 'login panel', id: 'login' },
    h('h2', {}, 'Log in to the line station'), h('label', {}, 'User', user), h('label', {}, 'Password', password), h('button', { class: 'primary', type: 'submit' }, 'Log in'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    try {
      state.session = await api('/api/v1/session', { method: 'POST', body: { user: user.value, password: password.value } });
      location.hash ||= '#/line';
      render();
    } catch (err) {
      msg.textContent = err.status === 429 ? err.message : 'Wrong user name or password.';
    }
  });
  main.replaceChildren(form);
}

export function render() {
  const main = document.getElementById('main');
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  state.onTiles = null;
  if (!state.session) {
    closeStream();
    nav.hidden = true;
    who.replaceChildren();
    return loginView(main);
  }
  nav.hidden = false;
  for (const a of nav.querySelectorAll('a[data-role]')) a.hidden = !can(a.dataset.role);
  // Open loopback (no users configured) and bearer tokens have nothing to log out of.
  const out = state.session.via === 'session' ? h('button', { id: 'logout', onclick: logout }, 'Log out') : null;
  who.replaceChildren(h('span', { id: 'user' }, `${state.session.user} · ${state.session.role}`), out ?? '');
  openStream();
  const [, view = 'line', arg] = location.hash.split('/');
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === view);
  const show = views[view] ?? views.line;
  main.replaceChildren();
  show(main, arg ? decodeURIComponent(arg) : undefined).catch((err) => {
    if (err instanceof ApiError && err.status === 401) return;
    main.append(h('p', { class: 'bad' }, `Could not load: ${err.message}`));
  });
}

async function refreshSession() {
  const s = await api('/api/v1/session');
  state.session = s.user ? s : null;
  render();
}

async function boot() {
  const s = await api('/api/v1/session');
  state.session = s.user ? s : null;
  window.addEventListener('hashchange', render);
  render();
  // The stop timers and "since" times tick on the page; the data comes from the stream.
  setInterval(() => {
    for (const el of document.querySelectorAll('[data-since]')) el.textContent = since(el.dataset.since);
  }, 1000);
}

hooks.render = render;
hooks.sessionEnded = () => {
  closeStream();
  refreshSession();
};
boot();
