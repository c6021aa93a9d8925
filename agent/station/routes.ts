// The station's routes: its page and assets, login and sessions, the line's live tiles and stream,
// the reason catalogue, reasons and jobs through the command path, job orders and the audit log.
// Every one is in docs/openapi.yaml; the page uses nothing else.
import type { z } from 'zod';
import { E } from '../errors.ts';
import type { Principal } from '../http/access.ts';
import { query } from '../http/query.ts';
import { HttpError, type HttpReply, type RequestContext, type Router } from '../http/router.ts';
import { CLEAR_COOKIE, sessionCookie, sessionPrincipal } from './access.ts';
import { DUMMY_HASH, verifyPassword } from './password.ts';
import { jobRequest, listQuery, loginRequest, reasonRequest } from './schema.ts';
import type { Session } from './sessions.ts';
import type { Station } from './station.ts';
import { registerModbusRoutes } from './modbus-routes.ts';
import { registerOpcuaRoutes } from './opcua-routes.ts';
import { allTiles, heldStops } from './tiles.ts';

const iso = (t: number) => new Date(t).toISOString();

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new HttpError(422, E.LS_HTTP_PAYLOAD_INVALID, `${issue.path.join('.') || '(body)'}: ${issue.message}`.slice(0, 300));
}

export function registerStationRoutes(router: Router, st: Station): void {
  const { config } = st.o;
  const machineIds = new Set(config.machines.map((m) => m.id));
  const known = (id: string) => {
    if (!machineIds.has(id)) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, `no machine "${id.slice(0, 128)}" on this agent`);
    return id;
  };
  const store = () => {
    const s = st.store;
    if (!s) throw new HttpError(503, E.LS_HTTP_UNAVAILABLE, 'the station is not running (agent starting or stopping)');
    return s;
  };
  const who = (ctx: RequestContext): Principal => ctx.principal!;
  const sessionBody = (s: Session) => ({ user: s.user, role: s.role, via: 'session' as const, csrfToken: s.csrf, expiresAt: iso(st.sessions.expiresAt(s)) });
  const withSession = (s: Session, status = 200): HttpReply => ({ status, body: sessionBody(s), headers: { 'set-cookie': sessionCookie(s.id, (s.created + config.http.session.maxAge - Date.now()) / 1000) } });

  const page = (ctx: RequestContext) => {
    const assets = st.assets;
    if (!assets) throw new HttpError(503, E.LS_HTTP_UNAVAILABLE, 'the station is not running (agent starting or stopping)');
    return assets.serve(ctx, ctx.params.file ?? 'index.html');
  };

  if (config.http.station) router.get('/', page, { public: true }).get('/assets/{file}', page, { public: true });
  router
    .get('/api/v1/session', (ctx) => {
      const p = ctx.principal;
      // Not logged in is an answer, not an error: the page asks this first and then shows the login.
      if (!p) return { status: 200, body: { user: null, role: null, via: null, csrfToken: null, expiresAt: null } };
      if (p.via === 'open') {
        const reply = withSession(st.sessions.create('local', 'admin'));
        return { ...reply, body: { ...(reply.body as object), via: 'open' } };
      }
      if (p.via === 'session') return withSession(st.sessions.get(p.sessionId!)!);
      return { status: 200, body: { user: p.name, role: p.role, via: p.via, csrfToken: null, expiresAt: null } };
    }, { public: true })
    .post('/api/v1/session', async (ctx) => {
      const { user, password } = parseBody(loginRequest, ctx.body);
      const keys = [`addr:${ctx.req.socket.remoteAddress ?? '?'}`, `user:${user.toLowerCase()}`];
      const anon = { name: user, role: 'viewer' as const, via: 'session' as const };
      const wait = st.logins.wait(keys);
      if (wait > 0) {
        st.audit(anon, 'login', null, 'refused', { reason: 'rate-limited', from: ctx.req.socket.remoteAddress ?? null });
        throw new HttpError(429, E.LS_HTTP_TOO_MANY_REQUESTS, `too many failed logins; retry in ${Math.ceil(wait / 1000)} s`, { 'retry-after': String(Math.ceil(wait / 1000)) });
      }
      const u = config.http.users.find((x) => x.name === user);
      const ok = await verifyPassword(password, u?.passwordHash ?? DUMMY_HASH);
      if (!u || !ok) {
        st.logins.fail(keys);
        st.audit(anon, 'login', null, 'refused', { reason: 'wrong user name or password', from: ctx.req.socket.remoteAddress ?? null });
        throw new HttpError(401, E.LS_HTTP_UNAUTHORIZED, 'wrong user name or password');
      }
      st.logins.succeed(keys);
      // A session cookie sent along (another user's, on a shared tablet) is replaced, not kept.
      if (ctx.principal?.sessionId) st.sessions.end(ctx.principal.sessionId);
      const s = st.sessions.create(u.name, u.role);
      st.audit(sessionPrincipal(s), 'login', null, 'ok', { from: ctx.req.socket.remoteAddress ?? null });
      return withSession(s);
    }, { public: true, body: true })
    .delete('/api/v1/session', (ctx) => {
      const p = who(ctx);
      if (p.sessionId) st.sessions.end(p.sessionId);
      st.audit(p, 'logout', null, 'ok', {});
      return { status: 200, body: { user: p.name, role: p.role, via: p.via, csrfToken: null, expiresAt: null }, headers: { 'set-cookie': CLEAR_COOKIE } };
    })
    .get('/api/v1/line', () => ({ status: 200, body: { at: iso(st.now()), line: config.location.line, machines: allTiles(st.tiles) } }))
    .get('/api/v1/stream', (ctx) => {
      if (ctx.req.method === 'HEAD') return { status: 200, body: '', type: 'text/event-stream; charset=utf-8' };
      if (st.stream.full) throw new HttpError(503, E.LS_HTTP_STREAM_FULL, 'the live stream has as many clients as it serves; close other station tabs');
      st.stream.add(ctx.res, ctx.principal?.sessionId);
      return { status: 0, body: undefined };
    })
    .get('/api/v1/reasons', () => ({
      status: 200,
      body: { reasons: Object.entries(config.reasons).map(([code, r]) => ({ code, text: r.text, category: r.category })) },
    }))
    .get('/api/v1/machines/{id}/stops', (ctx) => {
      const id = known(ctx.params.id!);
      const events = heldStops(st.tiles, id).map((d) => ({ eventId: d.eventId, state: d.state, start: iso(d.start), end: d.end === undefined ? null : iso(d.end), reason: d.reason, assigned: d.assigned, microStop: d.microStop }));
      return { status: 200, body: { machine: id, events } };
    })
    .post('/api/v1/machines/{id}/downtime-reason', (ctx) => {
      const id = known(ctx.params.id!);
      const p = who(ctx);
      const r = parseBody(reasonRequest, ctx.body);
      return commandReply(st, p, id, 'downtime-reason', { ...r, by: p.name });
    }, { role: 'operator', body: true })
    .post('/api/v1/machines/{id}/job', (ctx) => {
      const id = known(ctx.params.id!);
      const r = parseBody(jobRequest, ctx.body);
      return commandReply(st, who(ctx), id, 'job', r);
    }, { role: 'operator', body: true })
    .get('/api/v1/jobs', (ctx) => {
      const q = query(ctx, listQuery);
      const jobs = store().jobs(q.limit, q.before).map((j) => ({ id: j.id, ts: iso(j.ts), machine: j.machine, action: j.action, orderId: j.orderId, product: j.product, idealCycleTimeMs: j.idealCycleTime, targetQuantity: j.target, source: j.source, by: j.by }));
      return { status: 200, body: { jobs } };
    })
    .get('/api/v1/audit', (ctx) => {
      const q = query(ctx, listQuery);
      const records = store().audit(q.limit, q.before).map((r) => ({ ...r, ts: iso(r.ts) }));
      return { status: 200, body: { records } };
    }, { role: 'admin' });
  registerOpcuaRoutes(router, st);
  registerModbusRoutes(router, st);
}

function commandReply(st: Station, p: Principal, machine: string, name: string, body: Record<string, unknown>): HttpReply {
  const reply = st.command(p, machine, name, body);
  const detail = { command: name, commandId: reply.commandId, ...body, ...(reply.code ? { code: reply.code } : {}) };
  delete (detail as { by?: unknown }).by;
  st.audit(p, name, machine, reply.status === 'accepted' ? 'ok' : 'refused', detail);
  if (reply.status === 'accepted') return { status: 200, body: { reply } };
  return { status: 409, body: { error: { code: E.LS_HTTP_COMMAND_REJECTED, message: `${reply.code}: ${reply.reason ?? 'rejected'}` }, reply } };
}
