import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { ingestConfigSchema } from '../../../ingest/config.ts';

describe('ingest config', () => {
  it('the example parses, with durations in ms', () => {
    const text = readFileSync(new URL('../../../config/examples/central.example.yaml', import.meta.url), 'utf8').replaceAll('${PGPASSWORD}', 'x');
    const c = ingestConfigSchema.parse(YAML.parse(text));
    assert.equal(c.mqtt.sessionExpiry, 7 * 86_400_000);
    assert.equal(c.gaps.alertAfter, 300_000);
    assert.equal(c.batch.maxDelay, 20);
  });

  it('fills defaults and names the path of a mistake', () => {
    const c = ingestConfigSchema.parse({ mqtt: { url: 'mqtt://b:1883', clientId: 'i1' }, postgres: { url: 'postgres://x@y/z' } });
    assert.equal(c.mqtt.group, 'lineside-ingest');
    assert.equal(c.mqtt.receiveMaximum, 8192);
    assert.equal(c.http.port, 8720);
    const bad = ingestConfigSchema.safeParse({ mqtt: { url: 'http://b', clientId: 'i1', group: 'a/b' }, postgres: { url: 'postgres://x@y/z' }, gaps: { alertAfter: 'soon' } });
    assert.equal(bad.success, false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    assert.deepEqual(paths.sort(), ['gaps.alertAfter', 'mqtt.group', 'mqtt.url']);
    assert.match(bad.error!.issues.find((i) => i.path.join('.') === 'gaps.alertAfter')!.message, /expected a duration/);
  });

  it('takes durations as the agent configuration does, bounded', () => {
    const base = { mqtt: { url: 'mqtt://b:1883', clientId: 'i1' }, postgres: { url: 'postgres://x@y/z' } };
    const c = ingestConfigSchema.parse({ ...base, batch: { maxDelay: '1.5s' }, gaps: { alertAfter: '1h30m' } });
    assert.deepEqual([c.batch.maxDelay, c.gaps.alertAfter], [1500, 5_400_000]);
    const tooLong = ingestConfigSchema.safeParse({ ...base, batch: { maxDelay: '11s' } });
    assert.match(tooLong.error!.issues[0]!.message, /expected a duration like .* between 0ms and 10s/);
  });

});
