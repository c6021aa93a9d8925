import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { commandReplySchema } from '../../../agent/contract/commands.ts';
import { JsonLogProcess } from '../../helpers/agent-process.ts';
import { Collector } from '../mqtt/collector.ts';
import { commandBed, MiB, ROOT } from './agent.ts';

const RATE = 2500;
const SECONDS = 4;
const MACHINES = ['press-1', 'press-2'];
/** The defaults of mqtt.commandRate and mqtt.commandBurst. */
const PER_SECOND = 20;
const BURST = 50;
const SENDER = fileURLToPath(new URL('./flood-sender.ts', import.meta.url));

describe('a flood of commands', () => {
  it(`at ${RATE}/s for ${SECONDS} s: /metrics answers within 500 ms throughout, each machine accepts what its bucket allows, memory stays bounded`, async (t) => {
    // No replies collected during the flood: 10,000 replies parsed here would delay the scrapes
    // this process times.
    const bed = await commandBed({ machines: MACHINES, repliesTopic: `${ROOT}/none/cmd/none/reply` });
    await bed.metrics();
    const baseline = bed.rss();
    let peak = baseline;

    const started = performance.now();
    const sender = new JsonLogProcess([SENDER], { FLOOD: JSON.stringify({ url: bed.broker.url, root: ROOT, machines: MACHINES, rate: RATE, seconds: SECONDS }) });
    after(() => sender.stop('SIGKILL'));
    const done = sender.msg('flood sent', 60_000);

    // Scrape /metrics back to back until the agent has handled every command of the flood.
    const latencies: number[] = [];
    let sent = Infinity;
    let counted = 0;
    let accepted = 0;
    let rateLimited = 0;
    let loopLag = 0;
    void done.then((l) => (sent = l.sent as number), () => {});
    while (counted < sent && performance.now() - started < 90_000) {
      const m = await bed.metrics(5000);
      latencies.push(m.ms);
      peak = Math.max(peak, bed.rss());
      counted = ['accepted', 'rejected', 'duplicate'].reduce((n, result) => n + m.value('lineside_commands_total', { result }), 0);
      accepted = m.value('lineside_commands_total', { result: 'accepted' });
      rateLimited = m.value('lineside_commands_rate_limited_total');
      // The agent's own view (its event loop's longest delay since the last scrape) tells a busy
      // agent from a busy machine when a scrape is slow.
      loopLag = Math.max(loopLag, m.value('lineside_nodejs_eventloop_lag_max_seconds') * 1000);
      await new Promise((r) => setTimeout(r, 50));
    }
    const handledSeconds = (performance.now() - started) / 1000;
    const { seconds } = await done;

    const worst = Math.max(...latencies);
    t.diagnostic(`sent ${sent} in ${(seconds as number).toFixed(1)} s (${Math.round(sent / (seconds as number))}/s), handled after ${handledSeconds.toFixed(1)} s; /metrics: ${latencies.length} scrapes, worst ${worst.toFixed(0)} ms (agent's event loop delayed ${loopLag.toFixed(0)} ms at worst); accepted ${accepted}, rate-limited ${rateLimited}; RSS ${(baseline / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MiB`);
    assert.equal(counted, sent, 'the agent handled every command');
    assert.ok(sent / (seconds as number) >= 2000, `flood rate ${Math.round(sent / (seconds as number))}/s`);
    assert.ok(latencies.length >= 20, `${latencies.length} scrapes during the flood`);
    assert.ok(worst < 500, `/metrics took ${worst.toFixed(0)} ms at worst`);
    const allowed = MACHINES.length * (BURST + PER_SECOND * handledSeconds);
    assert.ok(accepted <= allowed, `${accepted} accepted; the buckets allow ${Math.floor(allowed)}`);
    assert.ok(accepted >= MACHINES.length * BURST, `${accepted} accepted: at least each machine's burst`);
    assert.ok(rateLimited >= sent - allowed - sent / 10, `${rateLimited} rate-limited`);
    assert.ok(peak - baseline < 64 * MiB, `RSS rose by ${((peak - baseline) / MiB).toFixed(0)} MiB`);

    // Once the bucket refilled, a command is accepted again and answered.
    const replies = new Collector(bed.broker.url, `${ROOT}/press-1/cmd/job/reply`);
    after(() => replies.close());
    await replies.ready();
    await new Promise((r) => setTimeout(r, 1000));
    await bed.sender.publishAsync(`${ROOT}/press-1/cmd/job`, JSON.stringify({ commandId: 'after-flood', action: 'start', orderId: 'PO-after', product: 'bolt', idealCycleTime: 1000 }), { qos: 1 });
    await replies.until(() => replies.messages.some((m) => m.json.commandId === 'after-flood'), 20_000, 'the reply after the flood');
    const reply = commandReplySchema.parse(replies.messages.find((m) => m.json.commandId === 'after-flood')!.json);
    assert.equal(reply.status, 'accepted', JSON.stringify(reply));
    const m = await bed.metrics();
    t.diagnostic(`replies dropped: ${m.value('lineside_command_replies_dropped_total', { reason: 'overflow' })} (queue full), ${m.value('lineside_command_replies_dropped_total', { reason: 'unsent' })} (not acknowledged)`);
    assert.ok(bed.agent.alive);
  });
});
