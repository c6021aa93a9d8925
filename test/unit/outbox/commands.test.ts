import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandHandler, UNAVAILABLE_TARGET } from '../../../agent/commands/handler.ts';
import { commandReplySchema } from '../../../agent/contract/commands.ts';
import type { CommandTarget } from '../../../agent/events.ts';
import { Outbox } from '../../../agent/outbox/outbox.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { tempDir } from '../../helpers/tmp.ts';

const root = { enterprise: 'e', site: 's', area: 'a', line: 'l' };

function setup(target: CommandTarget, dir = tempDir()) {
  const { log } = captureLog();
  const outbox = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 10, maxBytes: 1 << 30, maxAge: 86_400_000, log });
  outbox.open();
  const handler = new CommandHandler({ root, machines: ['press-1'], target, log: outbox, transport: { onConnect() {}, publishDirect: async () => true }, logger: log, now: () => Date.UTC(2026, 0, 1) });
  const send = (name: string, payload: unknown, machine = 'press-1') => commandReplySchema.parse(handler.handle(machine, name, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload))));
  return { outbox, handler, send };
}

function recordingTarget() {
  const calls: unknown[][] = [];
  const target: CommandTarget = {
    startJob: (...a) => (calls.push(['start', ...a]), { ok: true, detail: { orderId: a[1].orderId } }),
    endJob: (...a) => (calls.push(['end', ...a]), { ok: true }),
    assignDowntimeReason: (m, eventId, ...rest) => (calls.push(['reason', m, eventId, ...rest]), eventId === 'dt-1' ? { ok: true } : { ok: false, code: 'LS_CMD_UNKNOWN_EVENT', reason: `no downtime event ${eventId}` }),
  };
  return { calls, target };
}

describe('command handler', () => {
  it('applies a job start with the fields the pipeline needs, and replies accepted', () => {
    const { calls, target } = recordingTarget();
    const { send, outbox } = setup(target);
    const r = send('job', { commandId: 'c1', action: 'start', orderId: 'PO-7', product: 'bolt', idealCycleTime: 2500, target: 40 });
    assert.equal(r.status, 'accepted');
    assert.deepEqual(r.detail, { orderId: 'PO-7' });
    assert.deepEqual(calls, [['start', 'press-1', { orderId: 'PO-7', product: 'bolt', idealCycleTime: 2500, targetQuantity: 40 }, Date.UTC(2026, 0, 1)]]);
    outbox.close();
  });

  it('passes a downtime reason with text and author; the target rejecting an unknown event is the reply', () => {
    const { calls, target } = recordingTarget();
    const { send, outbox } = setup(target);
    assert.equal(send('downtime-reason', { commandId: 'c2', eventId: 'dt-1', reasonCode: 'jam', text: 'jammed feeder', by: 'anna' }).status, 'accepted');
    assert.deepEqual(calls[0], ['reason', 'press-1', 'dt-1', 'jam', Date.UTC(2026, 0, 1), { text: 'jammed feeder', by: 'anna' }]);
    const r = send('downtime-reason', { commandId: 'c3', eventId: 'dt-404', reasonCode: 'jam' });
    assert.deepEqual([r.status, r.code, r.commandId], ['rejected', 'LS_CMD_UNKNOWN_EVENT', 'c3']);
    outbox.close();
  });

  it('rejects with a specific code and a reason naming the problem', () => {
    const { calls, target } = recordingTarget();
    const { send, outbox } = setup(target);
    const cases: Array<[string, unknown, string, RegExp, string?]> = [
      ['job', '{not json', 'LS_CMD_BAD_JSON', /not JSON/],
      ['job', 'x'.repeat(17_000), 'LS_CMD_TOO_LARGE', /limit is 16384/],
      ['job', { commandId: 'c', action: 'start', orderId: 'o', idealCycleTime: 1 }, 'LS_CMD_INVALID', /^product: /],
      ['job', { commandId: 'c', action: 'start', orderId: 'o', product: 'p', idealCycleTime: -1 }, 'LS_CMD_INVALID', /^idealCycleTime: /],
      ['job', { commandId: 'c', action: 'pause', orderId: 'o' }, 'LS_CMD_INVALID', /action/],
      ['job', [1, 2], 'LS_CMD_INVALID', /\(root\)/],
      ['downtime-reason', { eventId: 'dt-1', reasonCode: 'jam' }, 'LS_CMD_INVALID', /^commandId: /],
      ['recipe', { commandId: 'c' }, 'LS_CMD_UNKNOWN_COMMAND', /unknown command "recipe"/],
      ['constructor', { commandId: 'c' }, 'LS_CMD_UNKNOWN_COMMAND', /constructor/],
      ['job', { commandId: 'c', action: 'end', orderId: 'o' }, 'LS_CMD_UNKNOWN_MACHINE', /no machine "lathe-9"/, 'lathe-9'],
    ];
    for (const [name, payload, code, reason, machine] of cases) {
      const r = send(name, payload, machine);
      assert.equal(r.status, 'rejected', `${name} ${JSON.stringify(payload).slice(0, 40)}`);
      assert.equal(r.code, code, r.reason);
      assert.match(r.reason!, reason);
    }
    assert.equal(send('job', Buffer.from([0xff, 0xfe, 0x00]).toString('latin1')).code, 'LS_CMD_BAD_JSON');
    assert.equal(calls.length, 0, 'nothing invalid reached the pipeline');
    outbox.close();
  });

  it('applies a command id once, across a restart, and repeats the first answer marked duplicate', () => {
    const dir = tempDir();
    const { calls, target } = recordingTarget();
    let { send, outbox } = setup(target, dir);
    const cmd = { commandId: 'once', action: 'start', orderId: 'PO-1', product: 'p', idealCycleTime: 1000 };
    assert.equal(send('job', cmd).duplicate, undefined);
    assert.equal(send('job', cmd).duplicate, true);
    outbox.close();
    ({ send, outbox } = setup(target, dir));
    const again = send('job', cmd);
    assert.deepEqual([again.status, again.duplicate, again.detail], ['accepted', true, { orderId: 'PO-1' }]);
    assert.equal(calls.length, 1);
    outbox.close();
  });

  it('does not remember rejections: the same id may succeed once the target can apply it', () => {
    let available = false;
    const target: CommandTarget = { ...UNAVAILABLE_TARGET, endJob: () => (available ? { ok: true } : UNAVAILABLE_TARGET.endJob('m', 'o', 0)) };
    const { send, outbox } = setup(target);
    const cmd = { commandId: 'retry', action: 'end', orderId: 'PO-1' };
    assert.equal(send('job', cmd).code, 'LS_CMD_UNAVAILABLE');
    available = true;
    assert.equal(send('job', cmd).status, 'accepted');
    outbox.close();
  });

  it('turns a throwing target into LS_CMD_FAILED', () => {
    const target: CommandTarget = { ...UNAVAILABLE_TARGET, startJob: () => { throw new Error('boom'); } };
    const { send, outbox } = setup(target);
    const r = send('job', { commandId: 'x', action: 'start', orderId: 'o', product: 'p', idealCycleTime: 1 });
    assert.equal(r.code, 'LS_CMD_FAILED');
    outbox.close();
  });
});
