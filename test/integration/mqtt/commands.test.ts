import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { commandReplySchema } from '../../../agent/contract/commands.ts';
import { commandTopic } from '../../../agent/contract/topics.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, analyse, missing } from './collector.ts';
import { LoadAgent } from './load-process.ts';
import { mesTestBed } from './test-bed.ts';

const ROOT = { enterprise: 'acme', site: 'plant1', area: 'hall', line: 'line1' };
const REPLIES = 'lineside/v1/acme/plant1/hall/line1/+/cmd/+/reply';

/** Thousands of commands that must all be rejected: garbage, oversized, wrong shapes, wrong targets. */
function malformed(count: number): Array<{ machine: string; name: string; payload: Buffer }> {
  const name = fc.constantFrom('job', 'downtime-reason');
  const cases = fc.oneof(
    fc.record({ machine: fc.constant('m1'), name, payload: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }),
    fc.record({ machine: fc.constant('m2'), name, payload: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) }),
    fc.record({ machine: fc.constant('m1'), name, payload: fc.integer({ min: 16 * 1024 + 1, max: 40_000 }).map((n) => Buffer.from(JSON.stringify({ commandId: 'big', pad: 'x'.repeat(n) }))) }),
    // Nearly right: a job start without a product, a reason without its code, wrong types.
    fc.record({ machine: fc.constant('m2'), name: fc.constant('job'), payload: fc.record({ commandId: fc.oneof(fc.string(), fc.integer()), action: fc.oneof(fc.constant('start'), fc.string()), orderId: fc.anything(), idealCycleTime: fc.oneof(fc.double(), fc.string()) }).map((o) => Buffer.from(JSON.stringify(o))) }),
    fc.record({ machine: fc.constant('m1'), name: fc.constant('downtime-reason'), payload: fc.record({ commandId: fc.string({ minLength: 1 }), eventId: fc.anything(), text: fc.anything() }).map((o) => Buffer.from(JSON.stringify(o))) }),
    // For a machine that is not there (well-formed or not: the topic is wrong either way), or a command that does not exist.
    fc.record({ machine: fc.stringMatching(/^[a-z]{3,8}$/).filter((m) => m !== 'm1' && m !== 'm2'), name: fc.constant('job'), payload: fc.oneof(fc.constant({ commandId: 'x', action: 'end', orderId: 'o' }), fc.record({ commandId: fc.string({ minLength: 1 }), action: fc.constant('start'), orderId: fc.anything() }), fc.jsonValue()).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) }),
    fc.record({ machine: fc.constant('m1'), name: fc.stringMatching(/^[a-z-]{1,12}$/).filter((n) => n !== 'job' && n !== 'downtime-reason'), payload: fc.constant(Buffer.from('{"commandId":"c"}')) }),
    // Valid shape, unknown downtime event: the target says no.
    fc.record({ machine: fc.constant('m2'), name: fc.constant('downtime-reason'), payload: fc.uuid().map((u) => Buffer.from(JSON.stringify({ commandId: u, eventId: `ev-${u}`, reasonCode: 'jam' }))) }),
  );
  return fc.sample(cases, { numRuns: count, seed: 20261122 });
}

/** A broker with its contract checker, a subscriber of the command replies, and a data directory for an agent. */
async function commandBed() {
  const bed = await mesTestBed();
  const replies = new Collector(bed.broker.url, REPLIES);
  after(() => replies.close());
  await replies.ready();
  return { ...bed, replies, dataDir: tempDir() };
}

/** A slow load agent on `dataDir`, once it has subscribed to commands (killed after the test). */
async function commandAgent(url: string, dataDir: string): Promise<LoadAgent> {
  const agent = new LoadAgent({ dataDir, url, rate: 10 });
  after(() => agent.stop('SIGKILL'));
  await agent.msg('subscribed to commands');
  return agent;
}

describe('commands from the MES', () => {
  it('answers thousands of malformed commands with error replies; the agent lives on and its output is unaffected', async (t) => {
    const { broker, contract, mes, replies, dataDir } = await commandBed();
    // The rate limit out of the way: every command is read, so every code shows up.
    const agent = new LoadAgent({ dataDir, url: broker.url, rate: 200, stopAfterMs: 8000, mqtt: { commandRate: 100_000, commandBurst: 100_000 } });
    after(() => agent.stop('SIGKILL'));
    await agent.msg('subscribed to commands');
    await mes.until(() => mes.data().length > 50, 20_000, 'live data');

    const sender = await mqtt.connectAsync(broker.url, { clientId: 'fuzzer', reconnectPeriod: 0 });
    after(() => sender.endAsync(true));
    const cases = malformed(3000);
    for (const c of cases) sender.publish(commandTopic(ROOT, c.machine, c.name), c.payload, { qos: 1 });
    await replies.until(() => replies.messages.length >= cases.length, 60_000, 'a reply to every command');

    const codes = new Map<string, number>();
    for (const r of replies.messages) {
      const reply = commandReplySchema.parse(r.json);
      assert.equal(reply.status, 'rejected', JSON.stringify(reply));
      assert.match(reply.code!, /^LS_CMD_[A-Z_]+$/);
      assert.ok(reply.reason && reply.reason.length > 0);
      assert.ok(r.topic.endsWith(`/${reply.machine}/cmd/${reply.command}/reply`));
      if (reply.machine !== 'm1' && reply.machine !== 'm2') assert.equal(reply.code, 'LS_CMD_UNKNOWN_MACHINE', `a command for machine ${reply.machine}: ${reply.reason}`);
      codes.set(reply.code!, (codes.get(reply.code!) ?? 0) + 1);
    }
    t.diagnostic(`reply codes: ${JSON.stringify(Object.fromEntries(codes))}`);
    assert.equal(replies.messages.length, cases.length, 'exactly one reply per command');
    for (const code of ['LS_CMD_BAD_JSON', 'LS_CMD_INVALID', 'LS_CMD_TOO_LARGE', 'LS_CMD_UNKNOWN_MACHINE', 'LS_CMD_UNKNOWN_COMMAND', 'LS_CMD_UNKNOWN_EVENT']) assert.ok(codes.get(code), `${code} exercised`);

    assert.ok(agent.alive, 'agent still running');
    const { lastSeq } = await agent.msg('drained', 60_000);
    await mes.until(() => analyse(mes.data()).firstSeqs.length >= (lastSeq as number), 30_000, 'every seq');
    const { firstSeqs } = analyse(mes.data());
    assert.deepEqual(missing(firstSeqs, 1, lastSeq as number), [], 'output unaffected: no seq missing');
    assert.deepEqual(firstSeqs, [...firstSeqs].sort((a, b) => a - b), 'output unaffected: in order');
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });

  it('applies an accepted command once, even when it is delivered again, and says duplicate', async () => {
    const { broker, contract, replies, dataDir } = await commandBed();
    const first = await commandAgent(broker.url, dataDir);
    let agent = first;
    const sender = await mqtt.connectAsync(broker.url, { clientId: 'mes-cmd', reconnectPeriod: 0 });
    after(() => sender.endAsync(true));
    const start = JSON.stringify({ commandId: 'cmd-1', action: 'start', orderId: 'PO-1', product: 'widget', idealCycleTime: 1500, target: 100 });
    await sender.publishAsync(commandTopic(ROOT, 'm1', 'job'), start, { qos: 1 });
    await sender.publishAsync(commandTopic(ROOT, 'm1', 'job'), start, { qos: 1 });
    await replies.until(() => replies.messages.length >= 2, 20_000, 'two replies');
    // Across a restart, the command log still knows the id.
    await agent.stop('SIGKILL');
    agent = await commandAgent(broker.url, dataDir);
    await sender.publishAsync(commandTopic(ROOT, 'm1', 'job'), start, { qos: 1 });
    // The same command written differently (key order, spacing) is the same command...
    const reordered = JSON.stringify({ target: 100, idealCycleTime: 1500, product: 'widget', orderId: 'PO-1', action: 'start', commandId: 'cmd-1' }, null, 2);
    await sender.publishAsync(commandTopic(ROOT, 'm1', 'job'), reordered, { qos: 1 });
    // ...another order under the same id is not.
    const reused = JSON.stringify({ commandId: 'cmd-1', action: 'start', orderId: 'PO-2', product: 'gadget', idealCycleTime: 900 });
    await sender.publishAsync(commandTopic(ROOT, 'm1', 'job'), reused, { qos: 1 });
    await replies.until(() => replies.messages.length >= 5, 20_000, 'five replies');
    const r = replies.messages.map((m) => commandReplySchema.parse(m.json));
    assert.deepEqual(r.map((x) => [x.status, x.duplicate ?? false, x.code]), [['accepted', false, undefined], ['accepted', true, undefined], ['accepted', true, undefined], ['accepted', true, undefined], ['rejected', false, 'LS_CMD_ID_REUSED']]);
    assert.ok(r.every((x) => x.commandId === 'cmd-1' && x.machine === 'm1' && x.command === 'job'));
    assert.equal(first.lines.filter((l) => l.msg === 'command applied').length, 1, 'applied once');
    assert.equal(agent.lines.filter((l) => l.msg === 'command applied').length, 0, 'not applied again after the restart');
    await agent.stop('SIGKILL');
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });

  it('applies a command that waited at the broker as of its issuedAt, and refuses one past its expiresAt', async () => {
    const { broker, contract, replies, dataDir } = await commandBed();
    const first = await commandAgent(broker.url, dataDir);
    // The agent goes away; its session (and subscription) stays at the broker, which keeps the commands.
    assert.equal(await first.stop('SIGTERM'), 0);
    const sender = await mqtt.connectAsync(broker.url, { clientId: 'mes-waited', reconnectPeriod: 0 });
    after(() => sender.endAsync(true));
    const issued = Date.now();
    const iso = (t: number) => new Date(t).toISOString();
    await sender.publishAsync(commandTopic(ROOT, 'm1', 'job'), JSON.stringify({ commandId: 'waited', action: 'start', orderId: 'PO-W', product: 'widget', idealCycleTime: 1000, issuedAt: iso(issued), expiresAt: iso(issued + 3_600_000) }), { qos: 1 });
    const expires = issued + 300;
    await sender.publishAsync(commandTopic(ROOT, 'm2', 'job'), JSON.stringify({ commandId: 'stale', action: 'start', orderId: 'PO-S', product: 'widget', idealCycleTime: 1000, issuedAt: iso(issued), expiresAt: iso(expires) }), { qos: 1 });
    // The agent comes back only once the second command's deadline has passed.
    await setTimeout(Math.max(0, expires + 200 - Date.now()));
    const restarted = Date.now();
    const agent = new LoadAgent({ dataDir, url: broker.url, rate: 10 });
    after(() => agent.stop('SIGKILL'));
    await replies.until(() => replies.messages.length >= 2, 20_000, 'replies to both waiting commands');
    const r = new Map(replies.messages.map((m) => commandReplySchema.parse(m.json)).map((x) => [x.commandId, x]));
    assert.equal(r.get('waited')?.status, 'accepted', JSON.stringify(r.get('waited')));
    assert.deepEqual([r.get('stale')?.status, r.get('stale')?.code], ['rejected', 'LS_CMD_EXPIRED'], r.get('stale')?.reason);
    const applied = await agent.waitFor((l) => l.msg === 'command applied');
    assert.deepEqual([applied.orderId, applied.at], ['PO-W', issued], 'applied as of its issue time, before the agent was back');
    assert.deepEqual(agent.lines.filter((l) => l.msg === 'command applied' && l.orderId === 'PO-S'), [], 'the expired one not at all');
    assert.ok(issued < restarted);
    await agent.stop('SIGKILL');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
