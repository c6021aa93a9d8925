import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import pino from 'pino';
import YAML from 'yaml';
import { parseConfig } from '../../../config/loader.ts';
import { openApiDocument, openApiYaml } from '../../../agent/app/openapi.ts';
import { composeAgent } from '../../../agent/app/compose.ts';
import { ERRORS } from '../../../agent/errors.ts';

const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { schema: { properties?: { error?: { properties?: { code?: unknown } } } } }> }> }>> };

describe('OpenAPI document of the local HTTP API', () => {
  it('documents exactly the routes the composed agent serves', async () => {
    // Constructors do no I/O: composing without starting gives the router with every route.
    const loaded = parseConfig('agent: { id: a }\nlocation: { enterprise: e, site: s, area: a, line: l }\nmqtt: { url: mqtt://127.0.0.1:1 }\nmachines: [{ id: m1, driver: sim, idealCycleTime: 1s }]\n', '/tmp/x.yaml');
    const agent = await composeAgent(loaded, pino({ level: 'silent' }));
    const served = agent.http!.router.routes().sort();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    assert.deepEqual(served, documented);
  });

  it('is OpenAPI 3.1 with unique operation ids, and every error status it names has registered codes', () => {
    assert.equal(doc.openapi, '3.1.0');
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    assert.equal(new Set(ids).size, ids.length);
    const statuses = new Set(Object.values(ERRORS).flatMap((e) => ('status' in e ? [String(e.status)] : [])));
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) for (const status of Object.keys(op.responses)) {
      if (Number(status) >= 400 && status !== '503') assert.ok(statuses.has(status), `status ${status} has an LS_HTTP_ code`);
    }
  });

  it('documents paging on every list route: limit and cursor in, next and a Link header out', () => {
    type Op = { parameters?: Array<{ name: string; required: boolean; schema: { maximum?: number; default?: number } }>; responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: { properties?: Record<string, { type?: unknown }>; required?: string[] } }> }> };
    const paths = doc.paths as unknown as Record<string, { get: Op }>;
    for (const [route, list] of [['/api/v1/machines', 'machines'], ['/api/v1/oee', 'periods'], ['/api/v1/downtime', 'events']] as const) {
      const op = paths[route]!.get;
      const limit = op.parameters?.find((p) => p.name === 'limit');
      assert.deepEqual([limit?.required, limit?.schema.default, limit?.schema.maximum], [false, 100, 1000], route);
      assert.equal(op.parameters?.find((p) => p.name === 'cursor')?.required, false, route);
      const ok = op.responses['200']!;
      assert.ok(ok.headers?.Link, `${route} documents Link`);
      const schema = ok.content!['application/json']!.schema;
      assert.ok(schema.properties?.[list] && schema.required?.includes('next'), route);
      assert.deepEqual(schema.properties?.next?.type, ['string', 'null'], route);
      assert.ok(op.responses['400'], `${route} documents 400 for a bad limit or cursor`);
    }
  });

  it('the file in docs/ is the generated one (parsed back: YAML round trip is lossless)', () => {
    const file = readFileSync(new URL('../../../docs/openapi.yaml', import.meta.url), 'utf8');
    assert.equal(file, openApiYaml(), 'run `npm run gen`');
    assert.deepEqual(YAML.parse(file), JSON.parse(JSON.stringify(doc)));
  });
});
