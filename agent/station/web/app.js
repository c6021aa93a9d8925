// The line station in the browser: a client of the documented API (docs/openapi.yaml) and nothing
// else. Session and CSRF token come from GET /api/v1/session; the line view lives on
// /api/v1/stream (server-sent events).
import { views } from './views.js';

export const state = { session: null, tiles: new Map(), reasons: [], stream: null, onTiles: null, skew: 0 };

/** The agent's clock (its `at` times): a tablet's clock may be off, and the demo's runs fast. */
export function serverNow() {
  return Date.now() + state.skew;
}

export function sawServerTime(iso) {
  state.skew = Date.parse(iso) - Date.now();
}

/** Elements without innerHTML: text is always text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    if (state.session?.csrfToken) headers['x-csrf-token'] = state.session.csrfToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const json = res.headers.get('content-type')?.startsWith('application/json') ? await res.json() : await res.text();
  if (res.status === 401 && path !== '/api/v1/session') {
    // The session ended (idle, expired, logged out elsewhere): ask again, which shows the login.
    state.session = null;
    closeStream();
    refreshSession();
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/** A command id made once per action, so a retry of the same action is applied once. */
export function newCommandId() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return 'st-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function can(role) {
  const order = ['viewer', 'operator', 'admin'];
  return state.session && order.indexOf(state.session.role) >= order.indexOf(role);
}

let toastTimer;
export function toast(text, kind = '') {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.className = `show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.className = ''), 4000);
}

export function since(iso) {
  const s = Math.max(0, Math.floor((serverNow() - Date.parse(iso)) / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  return hh ? `${hh}h ${String(mm).padStart(2, '0')}m` : `${mm}:${String(ss).padStart(2, '0')}`;
}

export const pct = (r) => (r === null || r === undefined ? '–' : `${Math.round(r * 100)}%`);
export const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

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

export async function loadReasons() {
  if (!state.reasons.length) state.reasons = (await api('/api/v1/reasons')).reasons;
  return state.reasons;
}

boot();
