// The read API's lists in pages, against a running agent whose state.db holds five days of
// history made by the real pipeline (not written by hand): following `next` (or the Link header)
// gives every item once, in order, each page documented by docs/openapi.yaml.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { composeAgent } from '../../../agent/app/compose.ts';
import { PipelineStore } from '../../../agent/pipeline-store/store.ts';
import { parseConfig } from '../../../config/loader.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { assertDocumented, get, type HttpResult } from '../../helpers/openapi.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Harness, HOUR, makeConfig, MIN } from '../../unit/pipeline/harness.ts';

const T0 = Date.UTC(2026, 0, 5);
const DAYS = 5;
const WINDOW = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + DAYS * 24 * HOUR).toISOString()}`;

/** Five days of an hourly OEE period, with a 10-minute stop every three hours, into state.db. */
function writeHistory(dataDir: string): void {
  const h = new Harness(makeConfig({ oee: '{ periods: [hour] }' }), T0);
  let parts = 0;
  // Every 10 s, the machine's poll interval: slower, its data would go stale between readings.
  for (let t = T0; t <= T0 + DAYS * 24 * HOUR; t += 10_000) {
    const running = (t - T0) % (3 * HOUR) >= 10 * MIN;
    if (running) parts += 9;
    h.read(t, { running, partCount: parts });
  }
  mkdirSync(dataDir, { recursive: true });
  const store = new PipelineStore(join(dataDir, 'state.db'));
  store.record(h.events);
  store.close();
}

interface Page { status: number; items: Array<Record<string, unknown>>; next: string | null; link: string | undefined; res: HttpResult }

describe('read API pages (limit, cursor, next, Link)', () => {
  let base = '';
  let agent: Awaited<ReturnType<typeof composeAgent>> | undefined;
  // Hooks run in the order given: the agent stops before its directory goes.
  after(() => agent?.runtime.stop(5000));
  const dir = tempDir();
  before(async () => {
    writeHistory(join(dir, 'data'));
    const text = `agent: { id: paging, dataDir: ./data }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { port: 0 }
machines:
  - { id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 10s }
  - { id: m2, driver: sim, idealCycleTime: 1s, pollInterval: 10s }
  - { id: m3, driver: sim, idealCycleTime: 1s, pollInterval: 10s }
`;
    agent = await composeAgent(parseConfig(text, join(dir, 'lineside.yaml')), captureLog('warn').log);
    await agent.runtime.start();
    base = `http://127.0.0.1:${agent.http!.port}`;
  });

  async function page(route: string, path: string, list: string): Promise<Page> {
    const raw = await fetch(`${base}${path}`);
    const text = await raw.text();
    const res: HttpResult = { status: raw.status, text, type: raw.headers.get('content-type') ?? '', body: JSON.parse(text) };
    assert.equal(res.status, 200, `${path}: ${text}`);
    assertDocumented(route, 200, res.body);
    const body = res.body as Record<string, unknown>;
    return { status: res.status, items: body[list] as Array<Record<string, unknown>>, next: body.next as string | null, link: raw.headers.get('link') ?? undefined, res };
  }

  /** Every page from `first`, following `next`; checks each page's size and its Link header. */
  async function all(route: string, first: string, list: string, limit: number): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let path: string | undefined = first;
    for (let n = 0; path; n++) {
      assert.ok(n < 1000, 'paging ends');
      const p = await page(route, path, list);
      assert.ok(p.items.length <= limit && p.items.length > 0, `${p.items.length} items on ${path}`);
      items.push(...p.items);
      if (p.next === null) {
        assert.equal(p.link, undefined, 'no Link on the last page');
        path = undefined;
      } else {
        assert.equal(p.items.length, limit, 'only the last page is short');
        assert.equal(p.link, `<${route}?${new URLSearchParams([...new URLSearchParams(first.split('?')[1]).entries()].filter(([k]) => k !== 'cursor').concat([['cursor', p.next]]))}>; rel="next"`);
        path = /^<([^>]+)>/.exec(p.link!)![1];
      }
    }
    return items;
  }

  it('pages closed OEE periods: every period once, oldest first; the default page is 100', async () => {
    const one = await page('/api/v1/oee', `/api/v1/oee?machine=m1&period=hour&${WINDOW}&limit=1000`, 'periods');
    const ids = one.items.map((p) => p.periodId);
    assert.equal(ids.length, DAYS * 24, 'one closed hour per hour of history');
    assert.equal(one.next, null);
    const paged = await all('/api/v1/oee', `/api/v1/oee?machine=m1&period=hour&${WINDOW}&limit=7`, 'periods', 7);
    assert.deepEqual(paged.map((p) => p.periodId), ids);
    const first = await page('/api/v1/oee', `/api/v1/oee?machine=m1&${WINDOW}`, 'periods');
    assert.equal(first.items.length, 100);
    assert.notEqual(first.next, null);
    const rest = await page('/api/v1/oee', `/api/v1/oee?machine=m1&${WINDOW}&cursor=${first.next}`, 'periods');
    assert.deepEqual([...first.items, ...rest.items].map((p) => p.periodId), ids);
  });

  it('pages closed downtime events the same way', async () => {
    const one = await page('/api/v1/downtime', `/api/v1/downtime?machine=m1&${WINDOW}&limit=1000`, 'events');
    assert.equal(one.items.length, DAYS * 8, 'a stop every three hours');
    const paged = await all('/api/v1/downtime', `/api/v1/downtime?machine=m1&${WINDOW}&limit=6`, 'events', 6);
    assert.deepEqual(paged.map((e) => e.eventId), one.items.map((e) => e.eventId));
  });

  it('pages the machines in configuration order', async () => {
    const machines = await all('/api/v1/machines', '/api/v1/machines?limit=2', 'machines', 2);
    assert.deepEqual(machines.map((m) => m.id), ['m1', 'm2', 'm3']);
  });

  it('answers a bad limit or cursor with 400 naming it', async () => {
    const machinesCursor = (await page('/api/v1/machines', '/api/v1/machines?limit=1', 'machines')).next!;
    for (const [route, path, msg] of [
      ['/api/v1/oee', `/api/v1/oee?machine=m1&limit=0`, /^limit: expected an integer from 1 to 1000/],
      ['/api/v1/oee', `/api/v1/oee?machine=m1&limit=1001`, /^limit: /],
      ['/api/v1/downtime', `/api/v1/downtime?machine=m1&limit=ten`, /^limit: /],
      ['/api/v1/machines', `/api/v1/machines?limit=2.5`, /^limit: /],
      ['/api/v1/oee', `/api/v1/oee?machine=m1&cursor=garbage`, /^cursor: not a cursor from this API/],
      ['/api/v1/downtime', `/api/v1/downtime?machine=m1&cursor=${machinesCursor}`, /^cursor: /],
      ['/api/v1/machines', `/api/v1/machines?cursor=${Buffer.from('["press-9"]').toString('base64url')}`, /^cursor: names a machine this agent no longer has/],
      ['/api/v1/machines', `/api/v1/machines?page=2`, /^page: unknown parameter/],
    ] as const) {
      const r = await get(base, path);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.equal((r.body as { error: { code: string } }).error.code, 'LS_HTTP_BAD_REQUEST');
      assert.match((r.body as { error: { message: string } }).error.message, msg, path);
      assertDocumented(route, 400, r.body);
    }
  });
});
