// What every view of the line station uses: the page state, the API client (session, CSRF token),
// element building and formatting. app.js (the shell) sets the hooks; views call them.
export const hooks = { render: () => {}, sessionEnded: () => {} };

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
    hooks.sessionEnded();
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


export async function loadReasons() {
  if (!state.reasons.length) state.reasons = (await api('/api/v1/reasons')).reasons;
  return state.reasons;
}
