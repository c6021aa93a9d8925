// Starts the whole demo in one process: the Modbus and OPC UA simulators, an embedded MQTT
// broker, and the agent (composeAgent, as `lineside run` builds it) on the demo config; then
// the scripted faults. Stops everything in reverse. The machines and the agent share a clock
// that runs `speed` times faster than the wall clock.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger, type Logger } from '../log.ts';
import { composeAgent, type Agent } from '../app/compose.ts';
import { lineTopic } from '../contract/topics.ts';
import { startModbusSimulator, type ModbusSimulator } from '../../drivers/sim/modbus-server.ts';
import type { OpcuaSimulator } from '../../drivers/sim/opcua-server.ts';
import { startDemoBroker, type DemoBroker } from './broker.ts';
import { DEMO_MACHINES, MODBUS_CYCLE_MS, OPCUA_CYCLE_MS, writeDemoConfig } from './config.ts';
import { FaultScript, type ScriptedFault } from './scenario.ts';
import { DemoView, type Frame } from './view.ts';

export interface DemoOptions {
  speed: number;
  seed: number;
  /** Where config, databases, PKI and the log go; a fresh temporary directory by default. */
  dataDir?: string;
  logLevel: pino.LevelWithSilent;
  /** Scripted faults: first after, then every (wall ms). */
  faultFirstMs?: number;
  faultEveryMs?: number;
  onFault?: (f: ScriptedFault) => void;
  /** Also run `lineside ingest` in-process into {dataDir}/central.sqlite (ingest/embedded.ts). */
  ingest?: boolean;
}

export interface DemoInfo {
  dataDir: string;
  configFile: string;
  logFile: string;
  speed: number;
  line: string;
  broker: { host: string; port: number; url: string };
  topics: string;
  subscribe: string;
  modbus: { host: string; port: number; units: number[] };
  opcua: { endpoint: string };
  http: { url: string };
  /** The line station (open as admin on loopback: the demo configures no users). */
  station: string;
  /** With `ingest`: the SQLite file the embedded ingest writes. */
  central?: string;
}

export interface RunningDemo {
  info: DemoInfo;
  agent: Agent;
  frame(): Frame;
  stop(): Promise<void>;
}

/** Sim machine settings for the demo: a lively line, reproducible from the seed. */
const LIVELY = { rejectRate: 0.03, faultsPerHour: 3, meanFaultDuration: 120_000, changeoversPerHour: 0.5, microStopsPerHour: 8 };

export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'lineside-demo-'));
  mkdirSync(dataDir, { recursive: true });
  const t0 = Date.now();
  const now = () => t0 + (Date.now() - t0) * o.speed;
  // Each started piece registers its stop here, so a failure half-way stops what already runs.
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  let log: Logger | undefined;
  try {
    const broker: DemoBroker = await startDemoBroker();
    stops.push(() => broker.stop());
    const modbus: ModbusSimulator = await startModbusSimulator({ host: '127.0.0.1', port: 0, units: [1, 2], seed: o.seed, now, machine: { ...LIVELY, cycleTime: MODBUS_CYCLE_MS } });
    stops.push(() => modbus.stop());
    // Loaded on demand like `lineside simulate` does: node-opcua is slow to import.
    const { startOpcuaSimulator } = await import('../../drivers/sim/opcua-server.ts');
    const opcua: OpcuaSimulator = await startOpcuaSimulator({ host: '127.0.0.1', port: 0, pkiDir: join(dataDir, 'sim-pki'), now, sim: { ...LIVELY, seed: o.seed + 3, cycleTime: OPCUA_CYCLE_MS } });
    stops.push(() => opcua.stop());

    const loaded = writeDemoConfig({ dataDir, speed: o.speed, start: now(), brokerUrl: broker.url, modbusPort: modbus.port, opcuaEndpoint: opcua.endpoint });
    const logFile = join(dataDir, 'lineside.log');
    const dest = pino.destination({ dest: logFile, sync: false, mkdir: true });
    log = createLogger({ level: o.logLevel, stream: dest });
    const agentLog = log;
    stops.push(async () => agentLog.flush());
    const view = new DemoView(DEMO_MACHINES);
    broker.onPublish((topic, payload) => view.message(topic, payload));
    let central: string | undefined;
    if (o.ingest) {
      const { EmbeddedIngest } = await import('../../ingest/embedded.ts');
      const ingest = new EmbeddedIngest(join(dataDir, 'central.sqlite'), log.child({ component: 'ingest' }));
      broker.onPublish((topic, payload) => ingest.push(topic, payload));
      stops.push(() => ingest.stop());
      central = ingest.file;
    }
    const agent = await composeAgent(loaded, log, { now });
    await agent.runtime.start();
    stops.push(() => agent.runtime.stop(loaded.config.agent.shutdownTimeout));

    const script = new FaultScript({
      machines: DEMO_MACHINES.map((m) => (m.protocol === 'modbus' ? { id: m.id, model: modbus.machine(m.unit) } : { id: m.id, model: opcua.model, afterInject: () => opcua.update() })),
      now,
      speed: o.speed,
      ...(o.faultFirstMs !== undefined ? { firstMs: o.faultFirstMs } : {}),
      ...(o.faultEveryMs !== undefined ? { everyMs: o.faultEveryMs } : {}),
      onFault: (f) => {
        agentLog.info({ ...f, component: 'demo' }, 'scripted fault');
        o.onFault?.(f);
      },
    });
    script.start();
    stops.push(async () => script.stop());

    const { location } = loaded.config;
    // Everything under the contract root; narrow it to lineTopic(location) + '/#' for this line only.
    const topics = `${lineTopic(location).split('/')[0]}/#`;
    const info: DemoInfo = {
      dataDir,
      configFile: loaded.file,
      logFile,
      speed: o.speed,
      line: `${location.enterprise}/${location.site}/${location.area}/${location.line}`,
      broker: { host: broker.host, port: broker.port, url: broker.url },
      topics,
      subscribe: `mosquitto_sub -h ${broker.host} -p ${broker.port} -t '${topics}' -v`,
      modbus: { host: modbus.host, port: modbus.port, units: [...modbus.units] },
      opcua: { endpoint: opcua.endpoint },
      http: { url: `http://127.0.0.1:${agent.http?.port ?? 0}` },
      station: `http://127.0.0.1:${agent.http?.port ?? 0}/`,
      ...(central ? { central } : {}),
    };
    return {
      info,
      agent,
      frame() {
        const links: Record<string, string> = {};
        for (const [id, s] of Object.entries(agent.fleet.status())) links[id] = s.state;
        const p = agent.out.publisher.mqttStats();
        return view.frame(Date.now() - t0, now(), { brokerConnected: p.connected, outboxDepth: agent.out.outbox.stats().depth, sent: p.acked, links });
      },
      stop: stopAll,
    };
  } catch (err) {
    log?.error({ err }, 'demo failed to start');
    await stopAll();
    throw err;
  }
}
