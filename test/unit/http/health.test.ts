import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outboxCheck, Readiness } from '../../../agent/http/health.ts';

describe('readiness: outbox threshold', () => {
  const limits = { maxOutboxDepth: 100, maxOutboxAge: 60_000 };
  it('is ready below both limits, not ready above either, and says why', () => {
    let stats = { depth: 10, oldestAgeMs: 5_000 };
    const r = new Readiness();
    r.add('outbox', outboxCheck(() => stats, limits));
    assert.equal(r.evaluate().ready, true);
    stats = { depth: 101, oldestAgeMs: 1_000 };
    let e = r.evaluate();
    assert.equal(e.ready, false);
    assert.match(e.checks.outbox!.reason!, /outbox holds 101 messages \(limit 100\)/);
    stats = { depth: 3, oldestAgeMs: 61_000 };
    e = r.evaluate();
    assert.equal(e.ready, false);
    assert.match(e.checks.outbox!.reason!, /61 s old \(limit 60 s\)/);
    stats = { depth: 0, oldestAgeMs: 0 };
    assert.equal(r.evaluate().ready, true);
  });

  it('a throwing check makes the agent not ready instead of crashing /readyz', () => {
    const r = new Readiness();
    r.add('outbox', outboxCheck(() => { throw new Error('db closed'); }, limits));
    const e = r.evaluate();
    assert.equal(e.ready, false);
    assert.match(e.checks.outbox!.reason!, /db closed/);
  });
});
