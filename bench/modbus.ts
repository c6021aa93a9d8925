// Modbus benchmarks: `node bench/modbus.ts [seconds per run, default 3]`
//
// 1. Servers: a raw modbus-serial client reading 10 holding registers back to back from
//    modbus-serial's ServerTCP (which defers every answer by setTimeout 0) and from our lean
//    simulator, in the same run.
// 2. Driver: polling throughput of the Lineside driver (planner + queue + decoding) against the
//    simulator, its requests per poll next to the planner's minimum and to one-request-per-tag,
//    and a raw modbus-serial loop issuing the same requests without decoding, in the same run.
import ModbusSerial, { ServerTCP } from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';
import pino from 'pino';
import { machineSchema } from '../config/schema/machine.ts';
import { createModbusDriver, planFor } from '../drivers/modbus/driver.ts';
import { startModbusSimulator } from '../drivers/sim/modbus-server.ts';

const seconds = Number(process.argv[2] ?? 3);
const ModbusRTU = ModbusSerial as unknown as new () => ModbusClient;

async function timed(label: string, once: () => Promise<unknown>, secs = seconds): Promise<{ label: string; perSec: number; n: number }> {
  for (let i = 0; i < 50; i++) await once(); // warm-up
  const end = performance.now() + secs * 1000;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end) {
    await once();
    n++;
  }
  return { label, perSec: n / ((performance.now() - start) / 1000), n };
}

async function client(port: number): Promise<ModbusClient> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(1);
  c.setTimeout(2000);
  return c;
}

function close(c: ModbusClient): Promise<void> {
  return new Promise((r) => c.close(() => r()));
}

/** One figure next to its baseline from the same run; bench/run.ts collects the final JSON line. */
interface Figure { name: string; value: number; unit: string; baseline?: { name: string; value: number }; ratio?: number; note?: string }
const figures: Figure[] = [];

const f = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

// --- 1. servers -------------------------------------------------------------------------------
const regs = Array.from({ length: 10_000 }, (_, i) => i & 0xffff);
const vector = { getMultipleHoldingRegisters: (addr: number, length: number) => regs.slice(addr, addr + length), getHoldingRegister: (addr: number) => regs[addr]! };
const serverTcp = new ServerTCP(vector, { host: '127.0.0.1', port: 0, unitID: 1 });
await new Promise<void>((r) => serverTcp.on('initialized', () => r()));
const stPort = ((serverTcp as unknown as { _server: import('node:net').Server })._server.address() as import('node:net').AddressInfo).port;
const sim = await startModbusSimulator({ units: [1] });

const c1 = await client(stPort);
const viaServerTcp = await timed('modbus-serial ServerTCP', () => c1.readHoldingRegisters(0, 10));
await close(c1);
const c2 = await client(sim.port);
const viaSim = await timed('lean simulator', () => c2.readHoldingRegisters(0, 10));
await close(c2);
await new Promise<void>((r) => serverTcp.close(() => r()));

console.log(`\n1. Server answer rate, raw modbus-serial client, 10 registers per request, sequential (${seconds} s each)`);
console.log(`   modbus-serial ServerTCP : ${f(viaServerTcp.perSec).padStart(7)} req/s  (${(1000 / viaServerTcp.perSec).toFixed(3)} ms/req)`);
console.log(`   lean simulator          : ${f(viaSim.perSec).padStart(7)} req/s  (${(1000 / viaSim.perSec).toFixed(3)} ms/req)`);
console.log(`   ratio lean / ServerTCP  : ${(viaSim.perSec / viaServerTcp.perSec).toFixed(2)}×`);
figures.push({ name: 'Simulator answer rate, 10 registers per request, sequential', value: viaSim.perSec, unit: 'req/s', baseline: { name: 'modbus-serial ServerTCP', value: viaServerTcp.perSec }, ratio: viaSim.perSec / viaServerTcp.perSec });

// --- 2. driver --------------------------------------------------------------------------------
// 48 tags in four clusters, like a real machine map: status words, counters, analog values, recipe.
const tags: Array<Record<string, unknown>> = [];
for (let i = 0; i < 16; i++) tags.push({ name: `status${i}`, address: i, type: 'uint16' });
for (let i = 0; i < 8; i++) tags.push({ name: `counter${i}`, address: 100 + i * 2, type: 'uint32', byteOrder: 'CDAB' });
for (let i = 0; i < 12; i++) tags.push({ name: `analog${i}`, area: 'input', address: 10 + i * 2, type: 'float32' });
for (let i = 0; i < 4; i++) tags.push({ name: `recipe${i}`, address: 300 + i * 40, type: 'string', length: 10 });
for (let i = 0; i < 8; i++) tags.push({ name: `bit${i}`, area: 'coil', address: i * 3, type: 'bool' });
const machine = machineSchema.parse({ id: 'bench', driver: 'modbus', idealCycleTime: '1s', connection: { host: '127.0.0.1', port: sim.port, timeout: '2s' }, tags, signals: { running: { tag: 'bit0' } } });
if (machine.driver !== 'modbus') throw new Error('unreachable');
const plan = planFor(machine.connection, machine.tags);
const regsPerPoll = plan.reduce((n, r) => n + (r.area === 'coil' || r.area === 'discrete' ? 0 : r.count), 0);

const ctx = () => ({ log: pino({ level: 'silent' }), now: Date.now, emit() {}, lost() {}, dataDir: '/tmp' });
const driver = createModbusDriver(machine);
await driver.connect(ctx());
// The same machine with four requests in flight on the connection (Modbus TCP transaction ids).
const pipedDriver = createModbusDriver({ ...machine, connection: { ...machine.connection, pipelineDepth: 4 } });
await pipedDriver.connect(ctx());
const raw = await client(sim.port);
const rawPoll = async () => {
  for (const r of plan) {
    if (r.area === 'holding') await raw.readHoldingRegisters(r.address, r.count);
    else if (r.area === 'input') await raw.readInputRegisters(r.address, r.count);
    else if (r.area === 'coil') await raw.readCoils(r.address, r.count);
    else await raw.readDiscreteInputs(r.address, r.count);
  }
};

const before = sim.stats.requests;
for (let i = 0; i < 200; i++) await driver.read!();
const perPoll = (sim.stats.requests - before) / 200;

// Interleaved rounds, median of each: other processes on the machine shift single runs a lot.
const ROUNDS = 5;
const runs: Record<string, number[]> = { driver: [], piped: [], raw: [] };
for (let r = 0; r < ROUNDS; r++) {
  runs.driver!.push((await timed('driver', () => driver.read!(), seconds / ROUNDS)).perSec);
  runs.raw!.push((await timed('raw', rawPoll, seconds / ROUNDS)).perSec);
  runs.piped!.push((await timed('piped', () => pipedDriver.read!(), seconds / ROUNDS)).perSec);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const viaDriver = { perSec: median(runs.driver!) };
const viaRaw = { perSec: median(runs.raw!) };
const viaPiped = { perSec: median(runs.piped!) };
await driver.close();
await pipedDriver.close();
await close(raw);
await sim.stop();

console.log(`\n2. Driver polling a ${tags.length}-tag machine on the lean simulator (median of ${ROUNDS} interleaved rounds, ${seconds} s each in all)`);
console.log(`   requests per poll       : ${perPoll.toFixed(2)} measured at the server; planner minimum ${plan.length}; one per tag would be ${tags.length}`);
console.log(`   Lineside driver         : ${f(viaDriver.perSec).padStart(7)} polls/s  ${f(viaDriver.perSec * regsPerPoll).padStart(9)} registers/s  ${f(viaDriver.perSec * tags.length).padStart(9)} tags/s`);
console.log(`   raw modbus-serial loop  : ${f(viaRaw.perSec).padStart(7)} polls/s  ${f(viaRaw.perSec * regsPerPoll).padStart(9)} registers/s  (same ${plan.length} requests, no decoding)`);
console.log(`   ratio driver / raw      : ${(viaDriver.perSec / viaRaw.perSec).toFixed(2)}×`);
console.log(`   driver, pipelineDepth 4 : ${f(viaPiped.perSec).padStart(7)} polls/s  ${f(viaPiped.perSec * regsPerPoll).padStart(9)} registers/s  (${(viaPiped.perSec / viaRaw.perSec).toFixed(2)}× raw)`);
figures.push({ name: `Driver polling a ${tags.length}-tag machine (${plan.length} requests per poll)`, value: viaDriver.perSec * tags.length, unit: 'tags/s', baseline: { name: 'raw modbus-serial loop, same requests, no decoding', value: viaRaw.perSec * tags.length }, ratio: viaDriver.perSec / viaRaw.perSec });
figures.push({ name: 'Driver with pipelineDepth 4', value: viaPiped.perSec * tags.length, unit: 'tags/s', baseline: { name: 'raw modbus-serial loop, sequential', value: viaRaw.perSec * tags.length }, ratio: viaPiped.perSec / viaRaw.perSec });
figures.push({ name: 'Requests per poll', value: perPoll, unit: 'requests', baseline: { name: 'one request per tag', value: tags.length }, ratio: perPoll / tags.length, note: `planner minimum ${plan.length}` });
console.log(JSON.stringify({ bench: 'modbus', params: { seconds }, figures }));
process.exit(0);
