import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gauge, Histogram, Registry } from 'prom-client';
import { parsePrometheus } from '../../helpers/prometheus.ts';

describe('strict Prometheus text parser (test helper)', () => {
  it('parses what prom-client writes, labels with escapes included', async () => {
    const r = new Registry();
    new Gauge({ name: 'a_gauge', help: 'help with "quotes"', labelNames: ['m'], registers: [r] }).set({ m: 'x"y\\z\nw' }, 1.5);
    new Histogram({ name: 'a_hist', help: 'h', buckets: [1, 2], registers: [r] }).observe(1.5);
    const f = parsePrometheus(await r.metrics());
    assert.equal(f.get('a_gauge')!.samples[0]!.labels.m, 'x"y\\z\nw');
    assert.equal(f.get('a_gauge')!.samples[0]!.value, 1.5);
    assert.equal(f.get('a_hist')!.type, 'histogram');
    assert.equal(f.get('a_hist')!.samples.find((s) => s.labels.le === '+Inf')!.value, 1);
  });

  it('rejects what a scraper would reject', () => {
    for (const bad of [
      'undeclared 1\n',
      '# TYPE x gauge\nx{a="1"} one\n',
      '# TYPE x gauge\nx{a=1} 1\n',
      '# TYPE x gauge\nx{a="1",a="2"} 1\n',
      '# TYPE x gauge\nx 1\nx 2\n',
      '# TYPE x gauge\nx 1',
      '# TYPE x gaug\n',
      '# TYPE 1x gauge\n',
      '# TYPE x gauge\nx{a="\\t"} 1\n',
    ]) assert.throws(() => parsePrometheus(bad), Error, JSON.stringify(bad));
  });
});
