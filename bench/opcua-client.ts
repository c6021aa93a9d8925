// One measured client process: `lineside` (our driver) or `raw` (a plain node-opcua client doing
// the same thing: subscriptions of 1000 items, same intervals and queue). Prints one JSON line.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AttributeIds, ClientMonitoredItemGroup, OPCUAClient, TimestampsToReturn, type ClientSubscription } from 'node-opcua';
import { opcuaConnectionSchema } from '../config/schema/opcua.ts';
import { OpcuaDriver } from '../drivers/opcua/driver.ts';

const [kind, endpoint, itemsArg, secondsArg] = process.argv.slice(2);
const items = Number(itemsArg);
const seconds = Number(secondsArg);
const SETTINGS = { publishingInterval: 500, samplingInterval: 250, queueSize: 10, perSubscription: 1000 };
const nodeIds = Array.from({ length: items }, (_, i) => `ns=2;s=Load.${i}`);

let notifications = 0;
let close: () => Promise<void>;
const t0 = Date.now();

if (kind === 'lineside') {
  const driver = new OpcuaDriver(
    opcuaConnectionSchema.parse({ endpoint, publishingInterval: `${SETTINGS.publishingInterval}ms`, samplingInterval: `${SETTINGS.samplingInterval}ms`, queueSize: SETTINGS.queueSize, maxItemsPerSubscription: SETTINGS.perSubscription }),
    nodeIds.map((nodeId, i) => ({ name: `l${i}`, nodeId })),
  );
  await driver.connect({ log: pino({ level: 'silent' }), now: Date.now, emit: (rs) => (notifications += rs.length), lost: (e) => { throw e; }, dataDir: mkdtempSync(join(tmpdir(), 'lineside-bench-')) });
  await driver.subscribe();
  close = () => driver.close();
} else {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(endpoint!);
  const session = await client.createSession();
  const subs: ClientSubscription[] = [];
  for (let i = 0; i < items; i += SETTINGS.perSubscription) {
    const sub = await session.createSubscription2({ requestedPublishingInterval: SETTINGS.publishingInterval, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 60, maxNotificationsPerPublish: 0, publishingEnabled: true, priority: 1 });
    const group = ClientMonitoredItemGroup.create(sub, nodeIds.slice(i, i + SETTINGS.perSubscription).map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })), { samplingInterval: SETTINGS.samplingInterval, queueSize: SETTINGS.queueSize, discardOldest: true }, TimestampsToReturn.Both);
    group.on('changed', () => notifications++);
    await new Promise<void>((resolve) => group.once('initialized', () => resolve()));
    subs.push(sub);
  }
  close = async () => {
    await session.close(true);
    await client.disconnect();
  };
}
const setupMs = Date.now() - t0;
// Measure from here: initial values are in, the steady state is changes only.
await new Promise((r) => setTimeout(r, 1000));
const n0 = notifications;
const cpu0 = process.cpuUsage();
const w0 = Date.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const cpu = process.cpuUsage(cpu0);
const wall = Date.now() - w0;
const result = { kind, items, setupMs, notificationsPerSec: Math.round(((notifications - n0) * 1000) / wall), cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) };
await close();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
