// A fleet of simulated Modbus TCP devices for bench/soak.ts and bench/peers/peers.ts: N instances
// of the built-in simulator (drivers/sim/modbus-server.ts, unit 1 each, 10,000 registers per
// area) in one process, each on its own 127.0.0.1 port like N separate PLCs, so every client
// opens one connection per machine. Prints {"ports":[...]} once listening; stops on SIGTERM/SIGINT
// or when its stdin closes.
//   node bench/sim-fleet.ts <machines>
import { startModbusSimulator, type ModbusSimulator } from '../drivers/sim/modbus-server.ts';

const n = Number(process.argv[2] ?? 1);
if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`expected a machine count 1..1000, got "${process.argv[2]}"`);
const sims: ModbusSimulator[] = [];
for (let i = 0; i < n; i++) sims.push(await startModbusSimulator({ host: '127.0.0.1', port: 0, units: [1], seed: 100 + i }));
process.stdout.write(`${JSON.stringify({ ports: sims.map((s) => s.port) })}\n`);
const stop = () => void Promise.allSettled(sims.map((s) => s.stop())).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The bench holds our stdin open: when it goes away (even killed), so do we.
process.stdin.on('end', stop).resume();
