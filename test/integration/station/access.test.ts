// The station's access rules over real sockets against a real agent process (no broker, no
// browser): what answers without a login, role tokens, the session cookie's attributes, login
// rate limiting, logout closing the live stream, the open loopback mode, and the page's headers.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../../agent/station/password.ts';
import { writeAgentConfig } from '../../helpers/agent-config.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { assertDocumented } from '../../helpers/openapi.ts';
import { startModbusSimulator } from '../../../drivers/sim/modbus-server.ts';

const VIEWER_TOKEN = 'viewer-token-0123456789';
const OPERATOR_TOKEN = 'operator-token-0123456789';
const ADMIN_TOKEN = 'admin-token-0123456789';
const MACHINE = '  - { id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 200ms, connection: { faultsPerHour: 36000, meanFaultDuration: 10h, microStopsPerHour: 0, changeoversPerHour: 0 } }';

async function startAgent(id: string): Promise<{ agent: AgentProcess; base: string }> {
  const file = writeAgentConfig({ id, body: `machines:\n${MACHINE}\n` });
  const agent = new AgentProcess(['run', '--config', file]);
  const { port } = await agent.waitFor((l) => l.msg === 'HTTP API listening');
  return { agent, base: `http://127.0.0.1:${String(port)}` };
}

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('line station access', () => {
  let agent: AgentProcess;
  let base = '';

  before(async () => {
    const hash = await hashPassword('ann-pass-1', { N: 1024, r: 8, p: 1 });
    const file = writeAgentConfig({ id: 'acc', body: `machines:\n${MACHINE}\n` });
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'http: { port: 0 }',
        `http:\n  port: 0\n  users:\n    - { name: ann, role: operator, passwordHash: "${hash}" }\n  tokens:\n    - { name: bi, role: viewer, token: ${VIEWER_TOKEN} }\n    - { name: mes, role: operator, token: ${OPERATOR_TOKEN} }\n    - { name: it, role: admin, token: ${ADMIN_TOKEN} }`,
      ),
    );
    agent = new AgentProcess(['run', '--config', file]);
    const { port } = await agent.waitFor((l) => l.msg === 'HTTP API listening');
    base = `http://127.0.0.1:${String(port)}`;
  });
  after(() => agent?.stop('SIGKILL'));

  it('answers nothing but /healthz, the login page and the login without credentials', async () => {
    for (const path of ['/readyz', '/metrics', '/api/v1/machines', '/api/v1/line', '/api/v1/stream', '/api/v1/jobs', '/api/v1/audit', '/api/v1/nothing']) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 401, path);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(await page.text(), /<script type="module" src="\/assets\/app.js">/);
    const js = await fetch(`${base}/assets/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    const again = await fetch(`${base}/assets/app.js`, { headers: { 'if-none-match': js.headers.get('etag')! } });
    assert.equal(again.status, 304, 'revalidated by ETag');
    assert.equal((await fetch(`${base}/assets/..%2Flineside.yaml`)).status, 404);
    assert.equal((await fetch(`${base}/assets/station.ts`)).status, 404, 'only the web assets');
    const session = await (await fetch(`${base}/api/v1/session`)).json();
    assertDocumented('/api/v1/session', 200, session);
    assert.equal((session as { user: unknown }).user, null);
  });

  it('role tokens: a viewer reads but cannot act; an operator acts without a CSRF token', async () => {
    const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
    const line = await fetch(`${base}/api/v1/line`, { headers: viewer });
    assert.equal(line.status, 200);
    assertDocumented('/api/v1/line', 200, await line.json());
    const audit = await fetch(`${base}/api/v1/audit`, { headers: viewer });
    assert.equal(audit.status, 403);
    const start = { commandId: 'tok-1', action: 'start', orderId: 'PO-9', product: 'p', idealCycleTime: 1000, target: 10 };
    const refused = await fetch(`${base}/api/v1/machines/m1/job`, { ...json(start), headers: { ...viewer, 'content-type': 'application/json' } });
    assert.equal(refused.status, 403);
    const ok = await fetch(`${base}/api/v1/machines/m1/job`, { ...json(start), headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' } });
    assert.equal(ok.status, 200);
    const again = await fetch(`${base}/api/v1/machines/m1/job`, { ...json(start), headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' } });
    assert.equal(((await again.json()) as { reply: { duplicate?: boolean } }).reply.duplicate, true, 'the same commandId is applied once');
    const bad = await fetch(`${base}/api/v1/machines/m1/downtime-reason`, { ...json({ commandId: 'tok-2', eventId: 'nope', reasonCode: 'unassigned' }), headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' } });
    assert.equal(bad.status, 409);
    assert.equal(((await bad.json()) as { reply: { code: string } }).reply.code, 'LS_CMD_UNKNOWN_EVENT');
    // Bodies: JSON only (a cross-site form cannot send it), an object, at most 16 KiB.
    const op = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const post = (headers: Record<string, string>, body: string) => fetch(`${base}/api/v1/machines/m1/job`, { method: 'POST', headers: { ...op, ...headers }, body });
    for (const [headers, body, why] of [
      [{ 'content-type': 'text/plain' }, JSON.stringify(start), 'a form-like content type'],
      [{ 'content-type': 'application/json' }, '{"commandId":', 'broken JSON'],
      [{ 'content-type': 'application/json' }, '[1,2]', 'not an object'],
      [{ 'content-type': 'application/json' }, JSON.stringify({ ...start, commandId: 'big', product: 'x'.repeat(20_000) }), 'over 16 KiB'],
      [{ 'content-type': 'application/json' }, JSON.stringify({ ...start, commandId: 'extra', admin: true }), 'an unknown field'],
    ] as const) {
      const r = await post(headers, body);
      assert.equal(r.status, 422, why);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'LS_HTTP_PAYLOAD_INVALID', why);
    }
    const jobs = (await (await fetch(`${base}/api/v1/jobs`, { headers: viewer })).json()) as { jobs: Array<{ orderId: string; source: string; by: string }> };
    assertDocumented('/api/v1/jobs', 200, jobs);
    assert.deepEqual(jobs.jobs.map((j) => [j.orderId, j.source, j.by]), [['PO-9', 'station', 'mes']]);
  });

  it('a login sets an HttpOnly SameSite=Strict cookie; failures slow down per user; logout ends the stream', async () => {
    const fail = () => fetch(`${base}/api/v1/session`, json({ user: 'ann', password: 'wrong' }));
    for (let i = 0; i < 6; i++) assert.equal((await fail()).status, 401, `failure ${i + 1}`);
    const limited = await fetch(`${base}/api/v1/session`, json({ user: 'ann', password: 'ann-pass-1' }));
    assert.equal(limited.status, 429, 'even the right password waits');
    assert.equal(limited.headers.get('retry-after'), '1');
    await new Promise((r) => setTimeout(r, 1100)); // the back-off of the 6th failure is 1 s
    const login = await fetch(`${base}/api/v1/session`, json({ user: 'ann', password: 'ann-pass-1' }));
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie')!;
    assert.match(setCookie, /^lineside_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = setCookie.split(';')[0]!;
    const session = (await login.json()) as { csrfToken: string; role: string };
    assert.equal(session.role, 'operator');

    const stream = await fetch(`${base}/api/v1/stream`, { headers: { cookie } });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^event: resync\ndata: \{"at":/);
    const noCsrf = await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie } });
    assert.equal(noCsrf.status, 403);
    const out = await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': session.csrfToken } });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    for (;;) if ((await reader.read()).done) break; // the stream ends with the session
    assert.equal((await fetch(`${base}/api/v1/line`, { headers: { cookie } })).status, 401, 'the cookie is dead');
  });
});

describe('the Modbus probe', () => {
  it('reads a device\'s registers decoded every way for an admin; a dead port is a 502, an operator a 403', async () => {
    const sim = await startModbusSimulator({ units: [1] });
    sim.freeze(true);
    sim.bank(1).holding.set([0x4148, 0x0000], 6); // 12.5 as float32 ABCD
    const file = writeAgentConfig({ id: 'probe', body: `machines:\n${MACHINE}\n` });
    writeFileSync(file, readFileSync(file, 'utf8').replace('http: { port: 0 }', `http:\n  port: 0\n  tokens:\n    - { name: it, role: admin, token: ${ADMIN_TOKEN} }\n    - { name: mes, role: operator, token: ${OPERATOR_TOKEN} }`));
    const agent = new AgentProcess(['run', '--config', file]);
    try {
      const { port } = await agent.waitFor((l) => l.msg === 'HTTP API listening');
      const probe = (token: string, body: unknown) => fetch(`http://127.0.0.1:${String(port)}/api/v1/modbus/probe`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const r = await probe(ADMIN_TOKEN, { host: sim.host, port: sim.port, unit: 1, area: 'holding', address: 6, count: 2 });
      assert.equal(r.status, 200);
      const body = (await r.json()) as { data: number[]; decodings: Array<{ start: number; type: string; order: string; value: number }> };
      assert.deepEqual(body.data, [0x4148, 0]);
      assert.equal(body.decodings.find((d) => d.type === 'float32' && d.order === 'ABCD')?.value, 12.5);
      assert.equal((await probe(OPERATOR_TOKEN, { host: sim.host, port: sim.port, area: 'holding', address: 6 })).status, 403);
      const dead = await probe(ADMIN_TOKEN, { host: '127.0.0.1', port: 1, area: 'holding', address: 0, timeoutMs: 500 });
      assert.equal(dead.status, 502);
      assert.equal(((await dead.json()) as { error: { code: string } }).error.code, 'LS_HTTP_PROBE_FAILED');
      assert.equal((await probe(ADMIN_TOKEN, { host: sim.host, area: 'registers', address: 0 })).status, 422);
    } finally {
      await agent.stop('SIGKILL');
      await sim.stop();
    }
  });
});

describe('line station with nothing configured (loopback)', () => {
  it('is open as admin, still behind a session and its CSRF token for changes', async () => {
    const { agent, base } = await startAgent('open');
    try {
      const r = await fetch(`${base}/api/v1/session`);
      const s = (await r.json()) as { user: string; role: string; via: string; csrfToken: string };
      assert.deepEqual([s.user, s.role, s.via], ['local', 'admin', 'open']);
      const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
      const body = { commandId: 'open-1', action: 'start', orderId: 'PO-1', product: 'p', idealCycleTime: 1000 };
      assert.equal((await fetch(`${base}/api/v1/machines/m1/job`, json(body))).status, 403, 'no session, no CSRF token: refused');
      const ok = await fetch(`${base}/api/v1/machines/m1/job`, { ...json(body), headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': s.csrfToken } });
      assert.equal(ok.status, 200);
      const audit = (await (await fetch(`${base}/api/v1/audit`)).json()) as { records: Array<{ actor: string; action: string; outcome: string }> };
      assertDocumented('/api/v1/audit', 200, audit);
      // Newest first: the refused attempt without the CSRF token is in the log too.
      assert.deepEqual(audit.records.map((x) => [x.actor, x.action, x.outcome]), [['local', 'job', 'ok'], ['local', 'job', 'refused']]);
      // DNS rebinding: a page of another host name that resolves to 127.0.0.1 is refused, even for reading.
      const port = Number(new URL(base).port);
      const asHost = (host: string) => new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/api/v1/session', headers: { host } }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end();
      });
      assert.equal(await asHost(`evil.example:${port}`), 403);
      assert.equal(await asHost(`localhost:${port}`), 200);
      assert.equal(await asHost(`[::1]:${port}`), 200);
    } finally {
      await agent.stop('SIGKILL');
    }
  });
});

describe('OPC UA certificates in the commissioning API', () => {
  it('lists a server certificate waiting for trust; an admin trusts it and rejects it again, an operator cannot', async () => {
    const { execFileSync } = await import('node:child_process');
    const { existsSync, mkdirSync } = await import('node:fs');
    const { dirname, join } = await import('node:path');
    const opcua = `  - { id: cnc, driver: opcua, idealCycleTime: 1s, connection: { endpoint: "opc.tcp://127.0.0.1:1", securityMode: None }, tags: [{ name: running, nodeId: "ns=2;s=Running" }], signals: { running: { tag: running } } }`;
    const file = writeAgentConfig({ id: 'certs', body: `machines:\n${opcua}\n` });
    writeFileSync(file, readFileSync(file, 'utf8').replace('http: { port: 0 }', `http:\n  port: 0\n  tokens:\n    - { name: it, role: admin, token: ${VIEWER_TOKEN}-admin }\n    - { name: mes, role: operator, token: ${OPERATOR_TOKEN} }`));
    // What node-opcua files when an unknown server presents its certificate.
    const rejected = join(dirname(file), 'data/drivers/opcua/pki/rejected');
    mkdirSync(rejected, { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=plc-7', '-days', '2', '-keyout', join(dirname(file), 'k.pem'), '-out', join(rejected, 'plc-7.pem')], { stdio: 'ignore' });
    const agent = new AgentProcess(['run', '--config', file]);
    try {
      const { port } = await agent.waitFor((l) => l.msg === 'HTTP API listening');
      const base = `http://127.0.0.1:${String(port)}`;
      const admin = { authorization: `Bearer ${VIEWER_TOKEN}-admin` };
      const list = (await (await fetch(`${base}/api/v1/opcua/certificates`, { headers: admin })).json()) as { certificates: Array<{ state: string; fingerprint: string; subject: string }> };
      assertDocumented('/api/v1/opcua/certificates', 200, list);
      assert.equal(list.certificates.length, 1);
      const [cert] = list.certificates;
      assert.equal(cert!.state, 'rejected');
      assert.match(cert!.subject, /plc-7/);
      const url = (what: string) => `${base}/api/v1/opcua/certificates/${encodeURIComponent(cert!.fingerprint)}/${what}`;
      assert.equal((await fetch(url('trust'), { method: 'POST', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).status, 403);
      const trusted = await fetch(url('trust'), { method: 'POST', headers: admin });
      assert.equal(trusted.status, 200);
      assert.deepEqual((await trusted.json()) as unknown, { state: 'trusted', fingerprint: cert!.fingerprint, subject: cert!.subject, changed: true });
      assert.ok(existsSync(join(dirname(file), 'data/drivers/opcua/pki/trusted/certs/plc-7.pem')));
      const back = await fetch(url('reject'), { method: 'POST', headers: admin });
      assert.equal(((await back.json()) as { state: string }).state, 'rejected');
      assert.ok(existsSync(join(rejected, 'plc-7.pem')));
      const audit = (await (await fetch(`${base}/api/v1/audit`, { headers: admin })).json()) as { records: Array<{ actor: string; action: string; outcome: string }> };
      assert.deepEqual(audit.records.map((r) => [r.actor, r.action, r.outcome]), [['it', 'opcua-reject', 'ok'], ['it', 'opcua-trust', 'ok'], ['mes', 'opcua-trust', 'refused']]);
    } finally {
      await agent.stop('SIGKILL');
    }
  });
});
