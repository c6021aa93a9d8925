// The line station in a real browser (Debian's headless Chromium through puppeteer-core) against a
// real agent process with 20 simulated machines and a real mosquitto: an operator assigns a reason
// that reaches an MQTT subscriber, a viewer cannot, a request without the CSRF token is refused,
// the line view's first paint, weight and lag behind the broker are measured, every view is
// screenshot for the docs, and no page logs a console error.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { hashPassword } from '../../../agent/station/password.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { cookieHeader, launchBrowser, logIn, type PageErrors } from '../../helpers/browser.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector } from '../mqtt/collector.ts';
import { ContractChecker } from '../../helpers/contract-checker.ts';

const IMAGES = join(import.meta.dirname, '../../../docs/images');
const TOPIC = 'lineside/v1/acme/p1/hall/l1';
const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };

describe('line station in a browser', () => {
  let broker: Mosquitto;
  let mes: Collector;
  let contract: ContractChecker;
  let agent: AgentProcess;
  let base = '';
  let browser: Browser;
  let problems: PageErrors;
  let newPage: Awaited<ReturnType<typeof launchBrowser>>['newPage'];
  const shot = (page: Page, name: string) => page.screenshot({ path: join(IMAGES, `station-${name}.png`) });

  before(async () => {
    broker = await Mosquitto.start();
    mes = new Collector(broker.url);
    await mes.ready();
    contract = await ContractChecker.attach(broker.url);
    const dir = tempDir();
    const file = join(dir, 'lineside.yaml');
    const [olga, vera, adam] = await Promise.all(['olga-pass-1', 'vera-pass-1', 'adam-pass-1'].map((p) => hashPassword(p, FAST.scrypt)));
    // m01 faults at once and stays in fault (the stop the operator explains); the others run 20×
    // fast (ideal cycle 40 ms against an actual 50 ms), so states change while the lag is measured.
    const machines = Array.from({ length: 20 }, (_, i) => {
      const id = `m${String(i + 1).padStart(2, '0')}`;
      const conn = i === 0 ? '{ faultsPerHour: 36000, meanFaultDuration: 10h, microStopsPerHour: 0, changeoversPerHour: 0 }' : `{ seed: ${i + 1}, speed: 20, faultsPerHour: 1, microStopsPerHour: 12, changeoversPerHour: 0.1 }`;
      return `  - { id: ${id}, name: "Press ${i + 1}", driver: sim, idealCycleTime: ${i === 0 ? '900ms' : '40ms'}, pollInterval: 200ms, states: { debounce: 0ms }, connection: ${conn} }`;
    }).join('\n');
    writeFileSync(
      file,
      `agent: { id: edge-st, dataDir: ./data }
location: { enterprise: acme, site: p1, area: hall, line: l1 }
mqtt: { url: "${broker.url}" }
http:
  port: 0
  users:
    - { name: olga, role: operator, passwordHash: "${olga}" }
    - { name: vera, role: viewer, passwordHash: "${vera}" }
    - { name: adam, role: admin, passwordHash: "${adam}" }
shifts:
  timezone: UTC
  shifts:
    - { name: early, days: [mon, tue, wed, thu, fri, sat, sun], start: "06:00", end: "14:00" }
    - { name: late, days: [mon, tue, wed, thu, fri, sat, sun], start: "14:00", end: "22:00" }
    - { name: night, days: [mon, tue, wed, thu, fri, sat, sun], start: "22:00", end: "06:00" }
reasons:
  jam: { text: Material jam }
  tooling: { text: Tool change }
  no-material: { text: No material }
  maintenance: { text: Maintenance, category: planned }
machines:
${machines}
`,
    );
    agent = new AgentProcess(['run', '--config', file]);
    const { port } = await agent.waitFor((l) => l.msg === 'HTTP API listening');
    base = `http://127.0.0.1:${String(port)}`;
    await agent.waitFor((l) => l.msg === 'lineside running');
    ({ browser, problems, newPage } = await launchBrowser());
  });

  after(async () => {
    await browser?.close();
    contract?.close();
    await agent?.stop('SIGKILL');
    mes?.close();
    await broker?.stop();
  });

  it('an operator picks a reason for a stop and the downtime message with it reaches the MQTT subscriber', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await newPage(ctx);
    await page.goto(`${base}/`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#login');
    await shot(page, 'login');
    await logIn(page, base, 'olga', 'olga-pass-1');
    // m01 is in fault with its open stop on the tile.
    await page.waitForSelector('[data-machine="m01"] [data-stop]', { timeout: 20_000 });
    await page.goto(`${base}/#/reasons/m01`);
    await page.waitForSelector('#stops tr[data-event]');
    const eventId = (await page.evaluate(`document.querySelector('#stops tr.sel').dataset.event`)) as string;
    await page.click('.reasons button[data-reason="jam"]');
    await shot(page, 'reasons');
    await page.click('#send-reason');
    await mes.until(
      () => mes.messages.some((m) => m.topic === `${TOPIC}/m01/downtime` && (m.json.data as { eventId?: string; reason?: { code?: string } }).eventId === eventId && (m.json.data as { reason: { code: string } }).reason.code === 'jam'),
      10_000,
      'the downtime message with reason jam',
    );
    const msg = mes.messages.findLast((m) => m.topic === `${TOPIC}/m01/downtime`)!.json.data as { reason: { code: string; assigned: boolean }; assignedBy?: string };
    assert.deepEqual([msg.reason.code, msg.reason.assigned, msg.assignedBy], ['jam', true, 'olga']);
    // The action is audited in the contract: on the machine's topic, and the login on the agent's.
    await mes.until(() => mes.messages.some((m) => m.topic === `${TOPIC}/m01/audit`), 10_000, 'the audit record');
    const audit = mes.messages.find((m) => m.topic === `${TOPIC}/m01/audit`)!.json;
    assert.deepEqual([audit.schema, audit.machine], ['lineside.audit/1', 'm01']);
    const a = audit.data as { actor: string; role: string; action: string; outcome: string; detail: { eventId: string; reasonCode: string } };
    assert.deepEqual([a.actor, a.role, a.action, a.outcome, a.detail.eventId, a.detail.reasonCode], ['olga', 'operator', 'downtime-reason', 'ok', eventId, 'jam']);
    await mes.until(() => mes.messages.some((m) => m.topic === `${TOPIC}/_agent/audit` && (m.json.data as { action: string; actor: string }).actor === 'olga'), 10_000, 'the login record');
    // The tile follows from the stream.
    await page.goto(`${base}/#/line`);
    await page.waitForFunction(`document.querySelector('[data-machine="m01"] .reason')?.textContent === 'Material jam'`, { timeout: 5000 });
    await ctx.close();
    assert.deepEqual(problems.errors, []);
  });

  it('a viewer sees the stop but cannot assign a reason; without the CSRF token a request is refused', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await newPage(ctx);
    await logIn(page, base, 'vera', 'vera-pass-1');
    await page.goto(`${base}/#/reasons/m01`);
    await page.waitForSelector('#readonly');
    assert.equal(await page.evaluate(`document.querySelector('#send-reason').disabled`), true);
    const cookie = await cookieHeader(page);
    const session = (await (await fetch(`${base}/api/v1/session`, { headers: { cookie } })).json()) as { role: string; csrfToken: string };
    assert.equal(session.role, 'viewer');
    const stops = (await (await fetch(`${base}/api/v1/machines/m01/stops`, { headers: { cookie } })).json()) as { events: Array<{ eventId: string }> };
    const post = (headers: Record<string, string>, commandId: string) =>
      fetch(`${base}/api/v1/machines/m01/downtime-reason`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ commandId, eventId: stops.events[0]!.eventId, reasonCode: 'tooling' }) });
    const viewer = await post({ cookie, 'x-csrf-token': session.csrfToken }, 'viewer-1');
    assert.equal(viewer.status, 403);
    assert.equal(((await viewer.json()) as { error: { code: string } }).error.code, 'LS_HTTP_FORBIDDEN');

    // The operator's session, without the token, or from another origin, is refused too.
    const op = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'olga', password: 'olga-pass-1' }) });
    const opCookie = op.headers.get('set-cookie')!.split(';')[0]!;
    const opCsrf = ((await op.json()) as { csrfToken: string }).csrfToken;
    const noToken = await post({ cookie: opCookie }, 'csrf-1');
    assert.equal(noToken.status, 403);
    assert.match(((await noToken.json()) as { error: { message: string } }).error.message, /CSRF/);
    const wrongToken = await post({ cookie: opCookie, 'x-csrf-token': 'x'.repeat(32) }, 'csrf-2');
    assert.equal(wrongToken.status, 403);
    const otherOrigin = await post({ cookie: opCookie, 'x-csrf-token': opCsrf, origin: 'http://evil.example' }, 'csrf-3');
    assert.equal(otherOrigin.status, 403);
    // None of them reached the command path: the tooling reason was never published.
    const good = await post({ cookie: opCookie, 'x-csrf-token': opCsrf }, 'csrf-ok');
    assert.equal(good.status, 200);
    await mes.until(() => mes.messages.some((m) => m.topic === `${TOPIC}/m01/downtime` && (m.json.data as { reason: { code: string } }).reason.code === 'tooling'), 10_000, 'the accepted tooling reason');
    const tooling = mes.messages.filter((m) => m.topic === `${TOPIC}/m01/downtime` && (m.json.data as { reason: { code: string } }).reason.code === 'tooling');
    assert.equal(tooling.length, 1, 'only the request with the token was applied');

    // The viewer's session ends elsewhere (logout from another tab): the open page falls back to the login.
    const out = await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': session.csrfToken } });
    assert.equal(out.status, 200);
    await page.waitForSelector('#login', { timeout: 5000 });
    await ctx.close();
    assert.deepEqual(problems.errors, []);
  });

  it('the line view with 20 machines paints in under 1 s, weighs under 300 KB and trails the broker by at most 1 s', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await newPage(ctx);
    await logIn(page, base, 'vera', 'vera-pass-1');
    await page.setCacheEnabled(false);
    await page.goto(`${base}/#/line`, { waitUntil: 'load' });
    await page.waitForFunction(`document.querySelectorAll('#tiles .tile').length === 20`);
    // Browser-side code as strings: the test project compiles without the DOM library.
    const perf = (await page.evaluate(`(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null;
      const nav = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      return { fcp, transferred: nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0), decoded: nav.decodedBodySize + res.reduce((n, r) => n + r.decodedBodySize, 0), resources: res.map((r) => r.name) };
    })()`)) as { fcp: number | null; transferred: number; decoded: number; resources: string[] };
    // Record every tile the view draws, with the time it was drawn.
    await page.evaluate(`(() => {
      window.drawn = [];
      new MutationObserver((records) => {
        for (const r of records) for (const el of r.addedNodes) {
          if (el.dataset?.machine) window.drawn.push({ id: el.dataset.machine, state: el.dataset.state, since: el.dataset.stateSince, at: Date.now() });
        }
      }).observe(document.getElementById('tiles'), { childList: true });
    })()`);
    const from = mes.messages.length;
    const arrived = new Map<number, number>();
    const onMessage = () => arrived.set(mes.messages.length - 1, Date.now());
    mes.client.on('message', onMessage);
    await mes.until(() => mes.messages.slice(from).filter((m) => m.topic.endsWith('/state')).length >= 8, 30_000, 'eight state changes');
    mes.client.off('message', onMessage);
    // The last change's tile may still be on its way: wait until the view drew it (its lag is measured below).
    const last = mes.messages.slice(from).filter((m) => m.topic.endsWith('/state')).at(-1)!;
    const lastBody = last.json.data as { state: string; since: string };
    await page.waitForFunction((id: string, state: string, since: string) => (globalThis as unknown as { drawn: Array<{ id: string; state: string; since: string }> }).drawn.some((d) => d.id === id && d.state === state && d.since === since), { timeout: 10_000 }, last.json.machine as string, lastBody.state, lastBody.since);
    const drawn = (await page.evaluate('window.drawn')) as Array<{ id: string; state: string; since: string; at: number }>;
    const lags: number[] = [];
    for (let i = from; i < mes.messages.length; i++) {
      const m = mes.messages[i]!;
      if (!m.topic.endsWith('/state') || !arrived.has(i)) continue;
      const body = m.json.data as { state: string; since: string };
      const machine = m.json.machine as string;
      const seen = drawn.find((d) => d.id === machine && d.state === body.state && d.since === body.since);
      assert.ok(seen, `the view drew ${machine} ${body.state} since ${body.since}`);
      lags.push(seen.at - arrived.get(i)!);
    }
    const sorted = [...lags].sort((a, b) => a - b);
    const figures = { fcpMs: perf.fcp === null ? null : Math.round(perf.fcp), transferredBytes: perf.transferred, decodedBytes: perf.decoded, lagMs: { n: lags.length, median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) } };
    console.log(`station line view: ${JSON.stringify(figures)}`);
    assert.ok(perf.fcp !== null && perf.fcp < 1000, `first contentful paint ${perf.fcp} ms`);
    assert.ok(perf.transferred > 0 && perf.transferred < 300 * 1024, `page weight ${perf.transferred} bytes`);
    assert.ok(sorted.at(-1)! <= 1000, `lag behind the broker ${JSON.stringify(lags)} ms`);
    await shot(page, 'line');
    await ctx.close();
    assert.deepEqual(problems.errors, []);
  });

  it('jobs from the station and from the ERP are listed; the machine and commissioning views render', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await newPage(ctx);
    await logIn(page, base, 'adam', 'adam-pass-1');
    // A job order from the ERP over MQTT.
    await mes.client.publishAsync(`${TOPIC}/m03/cmd/job`, JSON.stringify({ commandId: 'erp-1', action: 'start', orderId: 'PO-ERP-7', product: 'bracket', idealCycleTime: 900, target: 500 }), { qos: 1 });
    await mes.until(() => mes.messages.some((m) => m.topic === `${TOPIC}/m03/cmd/job/reply`), 10_000, 'the job reply');
    await page.goto(`${base}/#/jobs`);
    await page.waitForSelector('#job-form');
    await page.select('#job-machine', 'm02');
    await page.type('#job-orderId', 'PO-ST-1');
    await page.type('#job-product', 'hinge');
    await page.type('#job-target', '250');
    await page.click('#job-form button[type=submit]');
    await page.waitForFunction(`[...document.querySelectorAll('#job-orders td')].some((td) => td.textContent === 'PO-ST-1')`, { timeout: 5000 });
    const rows = (await page.evaluate(`[...document.querySelectorAll('#job-orders tr')].map((tr) => tr.textContent)`)) as string[];
    assert.ok(rows.some((r) => r.includes('PO-ERP-7') && r.includes('ERP (MQTT)')), rows.join('\n'));
    assert.ok(rows.some((r) => r.includes('PO-ST-1') && r.includes('station · adam')), rows.join('\n'));
    await shot(page, 'jobs');
    await page.goto(`${base}/#/machine/m02`);
    await page.waitForSelector('#timeline');
    await shot(page, 'machine');
    await page.goto(`${base}/#/commissioning`);
    await page.waitForSelector('#links');
    await page.click('#links tr.pick');
    await page.waitForSelector('#tags table');
    const audit = (await page.evaluate(`[...document.querySelectorAll('#audit tr')].map((tr) => tr.textContent)`)) as string[];
    assert.ok(audit.some((r) => r.includes('olga') && r.includes('downtime-reason') && r.includes('ok')), audit.join('\n'));
    assert.ok(audit.some((r) => r.includes('vera (viewer)') && r.includes('downtime-reason') && r.includes('refused')), 'the viewer\'s attempt is audited too');
    await page.screenshot({ path: join(IMAGES, 'station-commissioning.png'), fullPage: true });
    await page.click('#logout');
    await page.waitForSelector('#login');
    await ctx.close();
    assert.deepEqual(problems.errors, []);
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
