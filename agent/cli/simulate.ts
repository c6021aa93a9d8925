// `lineside simulate`: serve simulated machines over real protocols until stopped, for demos,
// sandboxes and commissioning practice. Each protocol contributes one SimulatorSpec; starting
// them is one small loop so other protocols (OPC UA) add themselves to the same list.
import type { Command } from 'commander';
import { Option } from 'commander';
import { BYTE_ORDERS } from '../../config/schema/modbus.ts';
import type { ByteOrder } from '../../drivers/modbus/codec.ts';
import { MODBUS_SIM_MAP, startModbusSimulator } from '../../drivers/sim/modbus-server.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

export interface RunningSimulator {
  /** What to print: where it listens and what it serves. */
  describe(): string;
  stop(): Promise<void>;
}

export interface SimulatorSpec {
  name: string;
  start(): Promise<RunningSimulator>;
}

/** Start every simulator; if one fails, stop those already running and rethrow. */
export async function startSimulators(specs: SimulatorSpec[]): Promise<RunningSimulator[]> {
  const running: RunningSimulator[] = [];
  for (const spec of specs) {
    try {
      running.push(await spec.start());
    } catch (err) {
      await Promise.allSettled(running.map((r) => r.stop()));
      throw new Error(`${spec.name} simulator failed to start: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return running;
}

export interface ModbusSimCliOptions {
  host: string;
  modbusPort: number;
  modbusTransport: 'tcp' | 'rtu-over-tcp';
  units: number[];
  byteOrder: ByteOrder;
  speed: number;
  seed: number;
}

export function modbusSimulatorSpec(o: ModbusSimCliOptions): SimulatorSpec {
  return {
    name: 'modbus',
    async start() {
      const sim = await startModbusSimulator({ transport: o.modbusTransport, host: o.host, port: o.modbusPort, units: o.units, byteOrder: o.byteOrder, speed: o.speed, seed: o.seed });
      return {
        describe: () => describeModbusSimulator(sim.transport, sim.host, sim.port, sim.units, o.byteOrder),
        stop: () => sim.stop(),
      };
    },
  };
}

export function describeModbusSimulator(transport: string, host: string, port: number, units: readonly number[], order: ByteOrder): string {
  const kind = transport === 'tcp' ? 'Modbus TCP' : 'Modbus RTU-over-TCP';
  const rows = MODBUS_SIM_MAP.map((r) => `  ${r.area.padEnd(8)} ${String(r.address).padEnd(8)} ${r.type.padEnd(8)} ${r.name.padEnd(12)} ${r.note}`);
  return [
    `${kind} simulator listening on ${host}:${port}, units ${units.join(', ')}`,
    `Register map (same for every unit; holding registers are mirrored in input registers 0..8; 32-bit values in ${order} order; addresses 0..9999, beyond: exception 0x02):`,
    `  ${'area'.padEnd(8)} ${'address'.padEnd(8)} ${'type'.padEnd(8)} ${'tag'.padEnd(12)} note`,
    ...rows,
  ].join('\n');
}

export interface OpcuaSimCliOptions {
  host: string;
  port: number;
  pkiDir: string;
  users: Array<{ username: string; password: string }>;
  speed: number;
  seed: number;
}

export function opcuaSimulatorSpec(o: OpcuaSimCliOptions): SimulatorSpec {
  return {
    name: 'opcua',
    async start() {
      // Loaded on demand: node-opcua takes a while to import and a Modbus-only run does not need it.
      const { startOpcuaSimulator, SIM_OPCUA_VARIABLES } = await import('../../drivers/sim/opcua-server.ts');
      const t0 = Date.now();
      const sim = await startOpcuaSimulator({ host: o.host, port: o.port, pkiDir: o.pkiDir, users: o.users, sim: { seed: o.seed }, now: () => t0 + (Date.now() - t0) * o.speed });
      return {
        describe: () =>
          [
            `OPC UA simulator at ${sim.endpoint} (security None, Sign and SignAndEncrypt; server certificate ${sim.fingerprint})`,
            `Users: anonymous${o.users.map((u) => `, ${u.username}`).join('')}. Variables:`,
            ...SIM_OPCUA_VARIABLES.map((v) => `  ns=2;s=Machine.${v.name}`),
          ].join('\n'),
        stop: () => sim.stop(),
      };
    },
  };
}

function parseUsers(list: string[]): Array<{ username: string; password: string }> {
  return list.map((u) => {
    const i = u.indexOf(':');
    if (i <= 0) throw new Error(`--opcua-user: expected user:password, got "${u}"`);
    return { username: u.slice(0, i), password: u.slice(i + 1) };
  });
}

function parseUnits(text: string): number[] {
  const units = text.split(',').map((s) => Number(s.trim()));
  if (!units.length || units.some((u) => !Number.isInteger(u) || u < 0 || u > 255)) throw new Error(`--units: expected unit ids 0..255 separated by commas, got "${text}"`);
  return units;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`expected a port 0..65535 (0 = any free port), got "${text}"`);
  return port;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(VERB_HELP.simulate)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--modbus-port <port>', 'Modbus port (0 = any free port)', '5020')
    .addOption(new Option('--modbus-transport <transport>', 'Modbus framing on the socket').choices(['tcp', 'rtu-over-tcp']).default('tcp'))
    .option('--opcua-port <port>', 'OPC UA port (0 = any free port)', '4840')
    .option('--opcua-user <user:password>', 'accept this user on the OPC UA server (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--pki-dir <dir>', 'OPC UA server PKI folder (keeps its certificate across restarts)', join(tmpdir(), 'lineside-sim-pki'))
    .option('--no-modbus', 'do not start the Modbus simulator')
    .option('--no-opcua', 'do not start the OPC UA simulator')
    .option('--units <ids>', 'Modbus unit ids, one simulated machine each', '1')
    .addOption(new Option('--byte-order <order>', 'order of 32-bit values').choices(BYTE_ORDERS).default('ABCD'))
    .option('--speed <factor>', 'machine time runs this many times faster', '1')
    .option('--seed <n>', 'random seed of the machines', '1')
    .action(async (raw: Record<string, string> & { modbus: boolean; opcua: boolean; opcuaUser: string[] }) => {
      const specs: SimulatorSpec[] = [];
      try {
        if (raw.modbus) specs.push(
          modbusSimulatorSpec({
            host: raw.host!,
            modbusPort: parsePort(raw.modbusPort!),
            modbusTransport: raw.modbusTransport as 'tcp' | 'rtu-over-tcp',
            units: parseUnits(raw.units!),
            byteOrder: raw.byteOrder as ByteOrder,
            speed: Number(raw.speed),
            seed: Number(raw.seed),
          }),
        );
        if (raw.opcua) specs.push(opcuaSimulatorSpec({ host: raw.host!, port: parsePort(raw.opcuaPort!), pkiDir: raw.pkiDir!, users: parseUsers(raw.opcuaUser), speed: Number(raw.speed), seed: Number(raw.seed) }));
      } catch (err) {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(EXIT.usage);
      }
      let running: RunningSimulator[];
      try {
        running = await startSimulators(specs);
      } catch (err) {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(EXIT.startFailed);
      }
      for (const r of running) process.stdout.write(`${r.describe()}\n`);
      process.stdout.write('Press Ctrl+C to stop.\n');
      const stop = () => {
        void Promise.allSettled(running.map((r) => r.stop())).then(() => process.exit(EXIT.ok));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
