import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXAMPLES } from '../../../agent/contract/examples.ts';
import { ContractChecker } from '../../helpers/contract-checker.ts';

const root = 'lineside/v1/acme/p1/hall/l1';
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('contract checker', () => {
  it('passes the documented examples on their topics', () => {
    const c = new ContractChecker();
    c.check(`${root}/press-1/oee`, buf(EXAMPLES.oee));
    c.check(`${root}/press-1/telemetry`, buf(EXAMPLES.telemetry));
    c.check(`${root}/press-1/event`, buf(EXAMPLES.outboxDrop));
    c.check(`${root}/_agent/edge-1/status`, buf(EXAMPLES.agentStatus), true);
    c.check(`${root}/press-1/cmd/downtime-reason/reply`, buf(EXAMPLES.commandReply));
    assert.deepEqual(c.violations, []);
    assert.equal(c.total, 5);
  });

  it('catches deliberately malformed payloads, each for its own reason', () => {
    const c = new ContractChecker();
    const cases: Array<[string, unknown, RegExp]> = [
      [`${root}/press-1/oee`, { ...EXAMPLES.oee, data: { ...EXAMPLES.oee.data, oee: '84%' } }, /\/data\/oee must be number/],
      [`${root}/press-1/oee`, { ...EXAMPLES.oee, sentAt: '2026-03-02 06:14' }, /\/sentAt must match/],
      [`${root}/press-1/state`, EXAMPLES.oee, /\/schema must be equal to constant/],
      [`${root}/press-2/oee`, EXAMPLES.oee, /envelope machine "press-1" is not the topic's "press-2"/],
      [`${root}/press-1/oee`, { ...EXAMPLES.oee, msgId: 'edge-1:9' }, /does not end in the seq/],
      [`${root}/press-1/telemetry`, '{"schema":', /not JSON/],
      [`${root}/press-1/weather`, EXAMPLES.telemetry, /not in the contract/],
      [`${root}/_agent/edge-2/status`, EXAMPLES.agentStatus, /agentId "edge-1" is not the topic's "edge-2"/],
      [`${root}/press-1/cmd/downtime-reason/reply`, { ...EXAMPLES.commandReply, code: 'LS_CMD_MADE_UP' }, /registered error code/],
      [`${root}/press-1/oee`, { ...EXAMPLES.oee, extra: true }, /additional properties/],
    ];
    for (const [topic, payload, why] of cases) {
      const v = c.check(topic, buf(payload));
      assert.ok(v.some((x) => why.test(x.problem)), `${topic}: expected ${why}, got ${JSON.stringify(v.map((x) => x.problem))}`);
    }
    assert.ok(c.violations.length >= cases.length);
  });

  it('in envelope mode checks the envelope but not synthetic bodies', () => {
    const c = new ContractChecker({ bodies: 'envelope' });
    assert.deepEqual(c.check(`${root}/m1/telemetry`, buf({ ...EXAMPLES.telemetry, machine: 'm1', data: { n: 1, pad: '' } })), []);
    assert.equal(c.check(`${root}/m1/telemetry`, buf({ ...EXAMPLES.telemetry, machine: 'm1', seq: -1, data: { n: 1 } })).length > 0, true);
  });

  it('ignores commands unless asked, then checks them too', () => {
    assert.deepEqual(new ContractChecker().check(`${root}/press-1/cmd/job`, buf('{not json')), []);
    const strict = new ContractChecker({ commands: true });
    assert.deepEqual(strict.check(`${root}/press-1/cmd/job`, buf(EXAMPLES.jobCommand)), []);
    assert.ok(strict.check(`${root}/press-1/cmd/job`, buf({ commandId: 'x', action: 'pause' })).length > 0);
  });
});

describe('contract checker and unknown command names', () => {
  it('leaves requests to unknown command names to the agent (which rejects them), flags them when checking commands', () => {
    assert.deepEqual(new ContractChecker().check(`${root}/press-1/cmd/x-y-z`, buf({ commandId: 'c' })), []);
    assert.match(new ContractChecker({ commands: true }).check(`${root}/press-1/cmd/x-y-z`, buf({ commandId: 'c' }))[0]!.problem, /not in the contract/);
  });
});
