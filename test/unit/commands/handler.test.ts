import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandHandler, peekCommandId } from '../../../agent/commands/handler.ts';
import { commandReplySchema, type CommandReply } from '../../../agent/contract/commands.ts';
import type { CommandTarget } from '../../../agent/events.ts';
import { Outbox } from '../../../agent/outbox/outbox.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { tempDir } from '../../helpers/tmp.ts';

const root = { enterprise: 'e', site: 's', area: 'a', line: 'l' };
const T0 = Date.UTC(2026, 0, 1, 8);
const iso = (t: number) => new Date(t).toISOString();

function recordingTarget() {
  const calls: Array<{ op: string; machine: string; at: number }> = [];
  const target: CommandTarget = {
    startJob: (machine, job, at) => (calls.push({ op: `start ${job.orderId}`, machine, at }), { ok: true }),
    endJob: (machine, orderId, at) => (calls.push({ op: `end ${orderId}`, machine, at }), { ok: true }),
    assignDowntimeReason: (machine, eventId, _r, at) => (calls.push({ op: `reason ${eventId}`, machine, at }), { ok: true }),
  };
  return { calls, target };
}

function setup(o: { dir?: string; rate?: { perSecond: number; burst: number } } = {}) {
  const { calls, target } = recordingTarget();
  const { log, lines } = captureLog();
  const clock = { now: T0 };
  const outbox = new Outbox({ dataDir: o.dir ?? tempDir(), synchronous: 'normal', commitInterval: 10, maxBytes: 1 << 30, maxAge: 86_400_000, log });
  outbox.open();
  const handler = new CommandHandler({ root, machines: ['press-1', 'press-2'], target, log: outbox, transport: { onConnect() {}, publishDirect: async () => true }, logger: log, now: () => clock.now, ...(o.rate ? { rate: o.rate } : {}) });
  const send = (name: string, payload: unknown, machine = 'press-1'): CommandReply => commandReplySchema.parse(handler.handle(machine, name, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload))));
  return { calls, clock, outbox, handler, send, lines };
}

const start = (commandId: string, extra: Record<string, unknown> = {}) => ({ commandId, action: 'start', orderId: 'PO-1', product: 'bolt', idealCycleTime: 1000, ...extra });

describe('command ids', () => {
  it('answer a reused id with a different body LS_CMD_ID_REUSED, and the same body (in any key order) as a duplicate, across a restart', () => {
    const dir = tempDir();
    let { send, calls, outbox } = setup({ dir });
    assert.equal(send('job', start('c1')).status, 'accepted');
    outbox.close();
    ({ send, calls, outbox } = setup({ dir }));
    const same = send('job', '{ "idealCycleTime": 1000, "product": "bolt", "orderId": "PO-1", "action": "start", "commandId": "c1" }');
    assert.deepEqual([same.status, same.duplicate], ['accepted', true]);
    // A retry may stamp the time anew: still the same command.
    assert.equal(send('job', start('c1', { issuedAt: iso(T0 - 5000) })).duplicate, true);
    const reused = send('job', start('c1', { orderId: 'PO-2' }));
    assert.deepEqual([reused.status, reused.code, reused.commandId], ['rejected', 'LS_CMD_ID_REUSED', 'c1']);
    assert.match(reused.reason!, /different body/);
    assert.equal(send('job', start('c1', { target: 5 })).code, 'LS_CMD_ID_REUSED', 'an added field is a different body');
    assert.deepEqual(calls, [], 'nothing applied after the first');
    outbox.close();
  });

  it('treat an id remembered before the body hash was kept (a bare reply) as a duplicate', () => {
    const { send, calls, outbox } = setup();
    const old: CommandReply = { schema: 'lineside.cmd-reply/1', commandId: 'legacy', machine: 'press-1', command: 'job', status: 'accepted', ts: iso(T0 - 1000) };
    outbox.rememberCommand('press-1/job/legacy', 'press-1', 'job', JSON.stringify(old));
    const r = send('job', start('legacy', { orderId: 'anything' }));
    assert.deepEqual([r.status, r.duplicate], ['accepted', true]);
    assert.equal(calls.length, 0);
    outbox.close();
  });
});

describe('command time', () => {
  it('applies at issuedAt, never later than received; expiresAt past is LS_CMD_EXPIRED and not remembered', () => {
    const { send, calls, clock, outbox } = setup();
    assert.equal(send('job', start('a', { issuedAt: iso(T0 - 60_000) })).status, 'accepted');
    assert.equal(calls.at(-1)!.at, T0 - 60_000, 'the time it was issued');
    assert.equal(send('job', start('b', { issuedAt: '2026-01-01T09:59:50+02:00' })).status, 'accepted');
    assert.equal(calls.at(-1)!.at, T0 - 10_000, 'offsets are understood');
    assert.equal(send('job', start('c', { issuedAt: iso(T0 + 20_000) })).status, 'accepted');
    assert.equal(calls.at(-1)!.at, T0, 'a little ahead (clock skew): the time received');
    const ahead = send('job', start('d', { issuedAt: iso(T0 + 120_000) }));
    assert.deepEqual([ahead.code, ahead.reason], ['LS_CMD_INVALID', "issuedAt: 120 s ahead of the agent's clock (at most 30 s); check the sender's clock"]);
    assert.equal(send('job', start('e', { expiresAt: iso(T0) })).status, 'accepted', 'due at the very instant');
    const late = send('job', start('f', { issuedAt: iso(T0 - 60_000), expiresAt: iso(T0 - 1) }));
    assert.deepEqual([late.status, late.code, late.commandId], ['rejected', 'LS_CMD_EXPIRED', 'f']);
    assert.equal(send('downtime-reason', { commandId: 'g', eventId: 'dt-1', reasonCode: 'jam', expiresAt: iso(T0 - 1) }).code, 'LS_CMD_EXPIRED');
    assert.equal(calls.length, 4, 'neither the expired nor the one from the future were applied');
    // Expired is a rejection: not remembered, so the id is free for a fresh command.
    clock.now = T0 - 10;
    assert.equal(send('job', start('f', { expiresAt: iso(T0 - 1) })).status, 'accepted');
    assert.equal(send('job', start('h', { issuedAt: 'yesterday' })).code, 'LS_CMD_INVALID');
    outbox.close();
  });
});

describe('command checks', () => {
  it('answer a command for an unknown machine LS_CMD_UNKNOWN_MACHINE whatever its body', () => {
    const { send, outbox } = setup();
    for (const body of [start('x'), { commandId: 'y', action: 'start' }, [1, 2], { commandId: 'z', what: true }]) {
      const r = send('job', body, 'lathe-9');
      assert.equal(r.code, 'LS_CMD_UNKNOWN_MACHINE', JSON.stringify(body));
      assert.match(r.reason!, /no machine "lathe-9"/);
    }
    assert.equal(send('recipe', { commandId: 'w' }, 'lathe-9').code, 'LS_CMD_UNKNOWN_MACHINE', 'the machine is checked before the command name');
    assert.equal(send('job', { commandId: 'v' }).code, 'LS_CMD_INVALID', 'a known machine: the schema decides');
    outbox.close();
  });

  it('name the command id of a payload too large to read', () => {
    const { send, outbox } = setup();
    const r = send('job', JSON.stringify({ commandId: 'big-1', pad: 'x'.repeat(20_000) }));
    assert.deepEqual([r.code, r.commandId], ['LS_CMD_TOO_LARGE', 'big-1']);
    outbox.close();
  });
});

describe('the command rate limit', () => {
  it('takes a burst per machine, then the rate; over it rejects unread with LS_CMD_RATE_LIMITED, logging once per episode', () => {
    const { send, calls, clock, outbox, handler, lines } = setup({ rate: { perSecond: 10, burst: 5 } });
    const replies = Array.from({ length: 8 }, (_, i) => send('job', start(`p1-${i}`)));
    assert.deepEqual(replies.map((r) => r.status), [...Array(5).fill('accepted'), ...Array(3).fill('rejected')]);
    assert.deepEqual([replies[5]!.code, replies[5]!.commandId], ['LS_CMD_RATE_LIMITED', 'p1-5']);
    // Not read: not even the JSON is checked.
    assert.equal(send('job', '{not json', 'press-1').code, 'LS_CMD_RATE_LIMITED');
    assert.equal(send('job', start('p2-0'), 'press-2').status, 'accepted', 'each machine has its own bucket');
    clock.now += 250; // 2.5 tokens
    assert.deepEqual([send('job', start('p1-8')).status, send('job', start('p1-9')).status, send('job', start('p1-10')).status], ['accepted', 'accepted', 'rejected']);
    assert.equal(calls.filter((c) => c.machine === 'press-1').length, 7);
    const s = handler.stats();
    assert.deepEqual([s.rateLimited, s.accepted], [5, 8]);
    assert.equal(lines.filter((l) => l.code === 'LS_CMD_RATE_LIMITED' && l.level === 40).length, 2, 'one warning per episode (two episodes on press-1)');
    clock.now += 10_000;
    assert.equal(Array.from({ length: 6 }, (_, i) => send('job', start(`p1-late-${i}`))).filter((r) => r.status === 'accepted').length, 5, 'refills to the burst, not beyond');
    outbox.close();
  });

  it('puts every machine id the agent does not have into one shared bucket', () => {
    const { send, handler, outbox } = setup({ rate: { perSecond: 1, burst: 3 } });
    const codes = Array.from({ length: 200 }, (_, i) => send('job', start(`g${i}`), `ghost-${i}`).code);
    assert.deepEqual(codes.slice(0, 4), ['LS_CMD_UNKNOWN_MACHINE', 'LS_CMD_UNKNOWN_MACHINE', 'LS_CMD_UNKNOWN_MACHINE', 'LS_CMD_RATE_LIMITED']);
    assert.equal(handler.stats().rateLimited, 197);
    assert.equal(send('job', start('real')).status, 'accepted', "the machines' own buckets are untouched");
    outbox.close();
  });

  it('finds the command id of an unread payload by a bounded scan', () => {
    assert.equal(peekCommandId(Buffer.from('{"action":"end","commandId" : "mes-1"}')), 'mes-1');
    assert.equal(peekCommandId(Buffer.from('{"text":"say \\"commandId\\":\\"fake\\"","commandId":"real"}')), 'real');
    assert.equal(peekCommandId(Buffer.from('{"commandId":"with space"}')), null);
    assert.equal(peekCommandId(Buffer.from(`{"pad":"${'x'.repeat(20_000)}","commandId":"late"}`)), null, 'only the first 16 KiB are looked at');
    assert.equal(peekCommandId(new Uint8Array([0xff, 0x00])), null);
  });
});
