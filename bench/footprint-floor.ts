// The "floor" of bench/footprint.ts: the packages `lineside run` loads for a Modbus line, loaded and
// doing the least of the same job, with none of Lineside's own code. Its steady RSS is what the agent
// cannot go below with this stack, measured beside the agent in the same run.
//   node bench/footprint-floor.ts --port 5020 --units 1,2,…,10 --mqtt mqtt://127.0.0.1:1883 --data DIR [--poll-ms 250] [--load-only]
// Per unit, a modbus-serial client reads the footprint bench's registers every --poll-ms; three SQLite
// files in WAL (outbox, pipeline store, station audit), the outbox taking a row per poll; an MQTT
// client connected; pino; prom-client's default metrics; a node-cron task and a time-zone formatter
// (the shift calendar); an HTTP server listening; zod, yaml and commander loaded and used once.
// --load-only imports the packages and exits (fills the compile cache for the measured run).
import Database from 'better-sqlite3';
import { Command } from 'commander';
import ModbusSerial from 'modbus-serial';
import mqtt from 'mqtt';
import cron from 'node-cron';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import * as prom from 'prom-client';
import YAML from 'yaml';
import { z } from 'zod';

const { values: o } = parseArgs({
  options: { port: { type: 'string' }, units: { type: 'string' }, mqtt: { type: 'string' }, data: { type: 'string' }, 'poll-ms': { type: 'string', default: '250' }, 'load-only': { type: 'boolean', default: false } },
});
if (o['load-only']) process.exit(0);
if (!o.port || !o.units || !o.mqtt || !o.data) throw new Error('usage: footprint-floor.ts --port P --units 1,2 --mqtt URL --data DIR');
// modbus-serial's module.exports is the client class; its typings only call it the default export.
const ModbusRTU = ModbusSerial as unknown as typeof ModbusSerial.default;

new Command('floor').option('--x <x>').parse([], { from: 'user' });
z.strictObject({ port: z.number() }).parse(YAML.parse(`port: ${o.port}`));
const log = pino({ level: 'warn' });
const registry = new prom.Registry();
prom.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });
cron.schedule('0 3 * * *', () => {}, { timezone: 'UTC' });
new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(Date.now());
createServer((_req, res) => void registry.metrics().then((m) => res.end(m))).listen(0, '127.0.0.1');

mkdirSync(o.data, { recursive: true });
const dbs = ['outbox', 'state', 'station'].map((name) => {
  const db = new Database(join(o.data!, `${name}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  return db;
});
const insert = dbs[0]!.prepare('INSERT INTO t (body) VALUES (?)');
const client = mqtt.connect(o.mqtt, { protocolVersion: 4 });
client.on('error', (err) => log.warn({ err }, 'mqtt'));

for (const unit of o.units.split(',').map(Number)) {
  const modbus = new ModbusRTU();
  await modbus.connectTCP('127.0.0.1', { port: Number(o.port) });
  modbus.setID(unit);
  modbus.setTimeout(1000);
  setInterval(() => {
    Promise.all([modbus.readCoils(0, 1), modbus.readHoldingRegisters(0, 8)]).then(
      ([coils, regs]) => insert.run(JSON.stringify({ unit, running: coils.data[0], regs: regs.data })),
      (err: Error) => log.warn({ err, unit }, 'modbus'),
    );
  }, Number(o['poll-ms']));
}
