// The draining agent of bench/outbox.ts as its own process, so its RSS is the agent's alone:
// opens an existing outbox (the backlog), connects, drains, prints one JSON line and exits.
//   node bench/drain-agent.ts <dataDir> <brokerUrl> <count> <inflight>
import pino from 'pino';
import { configSchema } from '../config/schema/index.ts';
import { Outbox } from '../agent/outbox/outbox.ts';
import { Publisher } from '../agent/publish/publisher.ts';

const [dataDir, url, countText, inflightText] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const log = pino({ level: 'warn' });
const cfg = configSchema.parse({
  agent: { id: 'bench', dataDir },
  location: { enterprise: 'acme', site: 'plant1', area: 'hall', line: 'line1' },
  mqtt: { url, inflight: Number(inflightText), replayRate: 1_000_000 },
  machines: [{ id: 'm0', driver: 'sim', idealCycleTime: '1s' }],
});
const outbox = new Outbox({ dataDir, synchronous: 'normal', commitInterval: 20, maxBytes: 1e12, maxAge: 1e12, log });
const publisher = new Publisher({ config: cfg.mqtt, agentId: 'bench', root: cfg.location, outbox, log, version: 'bench', configHash: 'bench' });
await outbox.start();
const rssStart = process.memoryUsage().rss;
let peakRss = rssStart;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapTotal);
}, 100);
const t = performance.now();
await publisher.start();
await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    if (publisher.mqttStats().acked >= count) {
      clearInterval(check);
      resolve();
    }
  }, 20);
});
const ms = performance.now() - t;
clearInterval(sampler);
await publisher.stop();
await outbox.stop();
process.stdout.write(`${JSON.stringify({ ms, rssStart, peakRss, peakHeap })}\n`);
process.exit(0);
