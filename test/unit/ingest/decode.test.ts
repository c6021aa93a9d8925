import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXAMPLES } from '../../../agent/contract/examples.ts';
import { decode } from '../../../ingest/decode.ts';

const LINE = 'lineside/v1/acme/plant1/hall/line1';
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('ingest decode (validation against the contract catalogue)', () => {
  it('accepts every example the contract publishes, with the ISA-95 path from the topic', () => {
    const kinds: Array<[keyof typeof EXAMPLES, string]> = [['telemetry', 'telemetry'], ['state', 'state'], ['downtime', 'downtime'], ['oee', 'oee'], ['job', 'job'], ['outboxDrop', 'event']];
    for (const [kind, topic] of kinds) {
      const d = decode(`${LINE}/press-1/${topic}`, enc(EXAMPLES[kind]));
      assert.equal(d.type, 'envelope', `${kind}: ${JSON.stringify(d)}`);
      if (d.type !== 'envelope') continue;
      assert.equal(d.kind, kind);
      assert.equal(d.agentId, 'edge-1');
      assert.equal(d.machinePath, 'acme/plant1/hall/line1/press-1');
    }
    const s = decode(`${LINE}/_agent/edge-1/status`, enc(EXAMPLES.agentStatus));
    assert.equal(s.type, 'status');
  });

  it('names the reason of every refusal', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      [`${LINE}/press-1/oee`, { ...EXAMPLES.oee, data: { ...EXAMPLES.oee.data, oee: -1 } }, /^oee: data\.oee: /],
      [`${LINE}/press-1/oee`, { ...EXAMPLES.oee, schema: 'lineside.oee/9' }, /schema "lineside\.oee\/9" is not lineside\.oee\/1/],
      [`${LINE}/press-2/oee`, EXAMPLES.oee, /envelope machine press-1 is not the topic's press-2/],
      [`${LINE}/press-1/oee`, { ...EXAMPLES.oee, msgId: 'edge-1:99' }, /does not end in seq 1204/],
      [`${LINE}/_agent/edge-2/status`, EXAMPLES.agentStatus, /agentId edge-1 is not the topic's edge-2/],
      ['lineside/v2/a/b/c/d/m/oee', EXAMPLES.oee, /not in the contract/],
      [`${LINE}/press-1/unknown-kind`, EXAMPLES.oee, /not in the contract/],
    ];
    for (const [topic, body, reason] of cases) {
      const d = decode(topic, enc(body));
      assert.equal(d.type, 'invalid', topic);
      if (d.type === 'invalid') assert.match(d.reason, reason);
    }
    const notJson = decode(`${LINE}/press-1/oee`, Buffer.from('{"schema":'));
    assert.deepEqual(notJson, { type: 'invalid', reason: 'payload is not JSON' });
  });

  it('ignores commands (they go to agents) and keeps command replies as a kind without a table', () => {
    assert.deepEqual(decode(`${LINE}/press-1/cmd/job`, enc(EXAMPLES.jobCommand)), { type: 'ignored', why: 'command' });
    const r = decode(`${LINE}/press-1/cmd/downtime-reason/reply`, enc(EXAMPLES.commandReply));
    assert.equal(r.type, 'other');
    if (r.type === 'other') assert.equal(r.kind, 'commandReply');
  });
});
