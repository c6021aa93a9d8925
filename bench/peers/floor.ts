// The "floor" side of bench/peers/peers.ts: the least a durable store-and-forward poller must do
// for the benchmark's job, with no framework, no state machine, no OEE, no config, no metrics:
//   per machine, every --poll-ms: the same Modbus reads as the Node-RED flow (readPlan, shared with
//   nodered.ts), the same decoding and envelope → INSERT into a SQLite outbox (WAL) → publish at QoS 1
//   → on PUBACK, commit the delivery cursor. So Lineside's CPU can be read against the cost of the
//   durable work it cannot skip, measured in the same run.
//   node bench/peers/floor.ts --ports 5020,5021 --tags 1000 --poll-ms 1000 --mqtt mqtt://127.0.0.1:1883 --data DIR
import Database from 'better-sqlite3';
import ModbusSerial from 'modbus-serial';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineId, ROOT } from '../fleet.ts';
import { KIND, readPlan } from './nodered.ts';

const { values: o } = parseArgs({
  options: { ports: { type: 'string' }, tags: { type: 'string', default: '1000' }, 'poll-ms': { type: 'string', default: '1000' }, mqtt: { type: 'string' }, data: { type: 'string' } },
});
if (!o.ports || !o.mqtt || !o.data) throw new Error('usage: floor.ts --ports p1,p2 --tags N --poll-ms MS --mqtt URL --data DIR');
const ports = o.ports.split(',').map(Number);
const pollMs = Number(o['poll-ms']);
const { reads, blocks } = readPlan(Number(o.tags));
const plan = new Map(blocks);
// modbus-serial's module.exports is the client class; its typings only call it the default export.
const ModbusRTU = ModbusSerial as unknown as typeof ModbusSerial.default;

// The project's own mqtt.js (the one Lineside runs), not the copy Node-RED brought into
// bench/peers/node_modules, which a bare import from here would pick up first.
const mqtt = createRequire(join(ROOT, 'package.json'))('mqtt') as typeof import('mqtt');

// --- the outbox: a message is committed before it is published, the cursor after its PUBACK ------
mkdirSync(o.data, { recursive: true });
const db = new Database(join(o.data, 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL'); // as Lineside's outbox: durable across a process crash, fsync at checkpoints
db.exec('CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, body BLOB NOT NULL);' +
  'CREATE TABLE IF NOT EXISTS cursor (seq INTEGER NOT NULL); INSERT INTO cursor SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM cursor);');
// Each statement runs in autocommit mode, i.e. one transaction (one WAL commit) per message.
const insert = db.prepare('INSERT INTO outbox (seq, topic, body) VALUES (?, ?, ?)');
const commitCursor = db.prepare('UPDATE cursor SET seq = ?');
const prune = db.prepare('DELETE FROM outbox WHERE seq <= ?');
const cursor = (db.prepare('SELECT seq FROM cursor').pluck().get() as number) ?? 0;
let seq = Math.max(cursor, (db.prepare('SELECT max(seq) FROM outbox').pluck().get() as number | null) ?? 0);

// One connection for all machines, MQTT 5 as Lineside's default (bench/fleet.ts sets no protocolVersion).
const client = mqtt.connect(o.mqtt, { clientId: `floor-${process.pid}`, protocolVersion: 5, clean: true });
client.on('error', (err) => console.error(`error: mqtt: ${err.message}`));
let acked = 0;
const publish = (s: number, topic: string, body: Buffer) =>
  client.publish(topic, body, { qos: 1 }, (err) => {
    if (err) return console.error(`error: publish ${s}: ${err.message}`); // stays in the outbox, replayed on restart
    // A broker sends PUBACKs in the order it received the PUBLISHes (MQTT 5 §4.6), so the cursor
    // only moves forward over a contiguous prefix on this one connection.
    commitCursor.run(s);
    if (++acked % 100 === 0) prune.run(s); // acknowledged rows go, or the outbox grows forever
  });
// What a previous run committed but never saw acknowledged goes out first (none in the bench).
for (const row of db.prepare('SELECT seq, topic, body FROM outbox WHERE seq > ? ORDER BY seq').iterate(cursor) as Iterable<{ seq: number; topic: string; body: Buffer }>) publish(row.seq, row.topic, row.body);

// --- the pollers ------------------------------------------------------------------------------
const f32 = Buffer.alloc(4);
async function poller(port: number, machine: string): Promise<void> {
  const mb = new ModbusRTU();
  const connect = async () => {
    await mb.connectTCP('127.0.0.1', { port });
    mb.setID(1);
    mb.setTimeout(1000);
  };
  await connect();
  let busy = false;
  setInterval(async () => {
    if (busy) return; // the previous poll of this machine is still running: skip this tick
    busy = true;
    try {
      if (!mb.isOpen) await connect();
      const data = new Map<string, Array<number | boolean>>();
      for (const r of reads) data.set(r.key, (r.dataType === 'Coil' ? await mb.readCoils(r.adr, r.quantity) : await mb.readHoldingRegisters(r.adr, r.quantity)).data);
      // Decoded as the Node-RED function node does: uint16, uint32 = hi·65536 + lo, float32 big-endian, bool.
      const iso = new Date().toISOString();
      const values: Record<string, { value: number | boolean; quality: 'good'; ts: string }> = {};
      for (const [key, regs] of data) {
        for (const [name, off, kind] of plan.get(key)!) {
          let value: number | boolean;
          if (kind === KIND.uint16) value = regs[off] as number;
          else if (kind === KIND.uint32) value = (regs[off] as number) * 65536 + (regs[off + 1] as number);
          else if (kind === KIND.float32) value = (f32.writeUInt16BE(regs[off] as number, 0), f32.writeUInt16BE(regs[off + 1] as number, 2), f32.readFloatBE(0));
          else value = !!regs[off];
          values[name] = { value, quality: 'good', ts: iso };
        }
      }
      const s = ++seq;
      const topic = `floor/${machine}/telemetry`;
      const body = Buffer.from(JSON.stringify({ schema: 'floor.telemetry/1', msgId: `floor:${s}`, seq: s, ts: iso, sentAt: iso, machine, replay: false, data: { values } }));
      insert.run(s, topic, body); // committed before it leaves: a crash after this loses nothing
      publish(s, topic, body);
    } catch (err) {
      console.error(`error: ${machine}: ${(err as Error).message}`);
    } finally {
      busy = false;
    }
  }, pollMs);
}
await Promise.all(ports.map((port, i) => poller(port, machineId(i))));
console.log(`floor: polling ${ports.length} machine(s) every ${pollMs} ms`);
