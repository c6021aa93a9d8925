import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { Readiness } from '../../../agent/http/health.ts';
import { HttpServer } from '../../../agent/http/server.ts';
import { assertDocumented, get } from '../../helpers/openapi.ts';

describe('HTTP API bearer token', () => {
  it('refuses every route but /healthz without the right bearer token', async () => {
    const token = 'a-long-enough-test-token-123';
    const server = new HttpServer({ host: '0.0.0.0', port: 0, token, readiness: new Readiness(), registry: new Registry(), log: pino({ level: 'silent' }) });
    await server.start();
    after(() => server.stop());
    // Bound to every address, spoken to on loopback only.
    const base = `http://127.0.0.1:${server.port}`;
    for (const path of ['/readyz', '/metrics', '/api/v1/machines', '/no/such/route']) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: token }, { authorization: `Basic ${token}` }] as Array<Record<string, string>>) {
        const r = await get(base, path, headers);
        assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.deepEqual((r.body as { error: { code: string } }).error.code, 'LS_HTTP_UNAUTHORIZED');
      }
    }
    const ok = await get(base, '/readyz', { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200);
    assertDocumented('/readyz', 200, ok.body);
    const health = await get(base, '/healthz');
    assert.equal(health.status, 200, 'liveness needs no token');
    assertDocumented('/healthz', 200, health.body);
    assert.equal((await get(base, '/metrics', { authorization: `bearer   ${token}` })).status, 200, 'scheme is case-insensitive');
  });

  it('requires a configured token on loopback too (it was once ignored there); /healthz stays open', async () => {
    const token = 'a-long-enough-test-token-456';
    const server = new HttpServer({ host: '127.0.0.1', port: 0, token, readiness: new Readiness(), registry: new Registry(), log: pino({ level: 'silent' }) });
    await server.start();
    after(() => server.stop());
    const base = `http://127.0.0.1:${server.port}`;
    for (const path of ['/readyz', '/metrics', '/no/such/route']) {
      const r = await get(base, path);
      assert.equal(r.status, 401, path);
      assert.equal((r.body as { error: { code: string } }).error.code, 'LS_HTTP_UNAUTHORIZED');
    }
    assert.equal((await get(base, '/readyz', { authorization: `Bearer ${token}` })).status, 200);
    assert.equal((await get(base, '/healthz')).status, 200, 'liveness needs no token');
  });

  it('will not start beyond loopback without a token', async () => {
    const server = new HttpServer({ host: '0.0.0.0', port: 0, readiness: new Readiness(), registry: new Registry(), log: pino({ level: 'silent' }) });
    await assert.rejects(server.start(), /token is required/);
  });
});
