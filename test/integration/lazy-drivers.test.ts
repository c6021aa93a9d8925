// A driver stack is loaded only when a configured machine uses it, and a CLI verb's stack only when
// that verb runs: `lineside --help` loads commander and nothing else, a Modbus-only agent never loads
// node-opcua. A preload records every module URL the process loads (module.registerHooks sees ESM
// imports and require() alike) and writes them out at exit. The OPC UA agent is the control: it shows
// that the recorder does see node-opcua when it is loaded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command, Option } from 'commander';
import { LOG_LEVELS } from '../../config/schema/agent.ts';
import { registerDemo } from '../../agent/cli/demo.ts';
import { registerModbus } from '../../agent/cli/modbus.ts';
import { registerOpcua } from '../../agent/cli/opcua.ts';
import { registerReplay } from '../../agent/cli/replay.ts';
import { registerDeadLetters } from '../../agent/cli/dead-letters.ts';
import { registerIngest } from '../../agent/cli/ingest.ts';
import { registerStation } from '../../agent/cli/station.ts';
import { registerRun } from '../../agent/cli/run.ts';
import { registerSchema } from '../../agent/cli/schema.ts';
import { registerSimulate } from '../../agent/cli/simulate.ts';
import { registerValidate } from '../../agent/cli/validate.ts';
import { startModbusSimulator, type ModbusSimulator } from '../../drivers/sim/modbus-server.ts';
import { writeAgentConfig } from '../helpers/agent-config.ts';
import { JsonLogProcess } from '../helpers/agent-process.ts';
import { BIN, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const RECORDER = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const seen = new Set();
registerHooks({ load(url, context, next) { seen.add(url); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.LINESIDE_LOADED_MODULES, [...seen].join('\\n')));
`)}`;

/** The npm packages among the loaded module URLs. */
function packagesIn(file: string): Set<string> {
  const urls = readFileSync(file, 'utf8').split('\n');
  return new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
}

const isOpcua = (p: string) => p === 'node-opcua' || p.startsWith('node-opcua-');
const dir = tempDir('lineside-lazy-');

/** `lineside run` with the recorder until `ready` shows in its log, then SIGTERM; the module URLs it loaded. */
async function agentModules(name: string, machines: string, ready: (l: Record<string, unknown>) => boolean): Promise<string> {
  const file = writeAgentConfig({ id: name, body: `machines:\n${machines}` });
  const loaded = join(dir, `${name}.modules`);
  const agent = new JsonLogProcess(['--import', RECORDER, BIN, 'run', '--config', file], { LINESIDE_LOADED_MODULES: loaded });
  try {
    await agent.waitFor(ready);
  } finally {
    assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);
  }
  return loaded;
}

/** As agentModules, the npm packages among them. */
async function agentPackages(name: string, machines: string, ready: (l: Record<string, unknown>) => boolean): Promise<Set<string>> {
  return packagesIn(await agentModules(name, machines, ready));
}

describe('driver and verb stacks load on demand', () => {
  let sim: ModbusSimulator;
  before(async () => {
    sim = await startModbusSimulator({ transport: 'tcp', host: '127.0.0.1', port: 0, units: [1] });
  });
  after(() => sim.stop());

  it('lineside --help loads commander and no other package', async () => {
    const loaded = join(dir, 'help.modules');
    const out = spawnSync(process.execPath, ['--import', RECORDER, BIN, '--help'], { env: { ...process.env, LINESIDE_LOADED_MODULES: loaded }, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /Usage: lineside/);
    assert.deepEqual([...packagesIn(loaded)], ['commander']);
  });

  it('an agent with only Modbus machines polls them without loading node-opcua', async () => {
    const machine = `  - id: press
    driver: modbus
    idealCycleTime: 1s
    pollInterval: 100ms
    connection: { host: 127.0.0.1, port: ${sim.port}, unitId: 1, timeout: 1s }
    tags: [{ name: parts, area: holding, address: 0, type: uint32 }]
    signals: { partCount: { tag: parts } }
`;
    const modules = await agentModules('modbus-only', machine, (l) => l.msg === 'machine connected' && l.machine === 'press');
    const packages = packagesIn(modules);
    assert.ok(packages.has('modbus-serial'), 'the Modbus driver was loaded');
    assert.deepEqual([...packages].filter(isOpcua), []);
    assert.ok(!packages.has('aedes'), 'the demo broker is not part of `run`');
    // Destinations that are not configured stay unloaded too.
    const urls = readFileSync(modules, 'utf8').split('\n');
    assert.ok(urls.some((u) => u.includes('/agent/publish/publisher.ts')), 'the recorder sees the agent modules');
    assert.deepEqual(urls.filter((u) => /\/agent\/destinations\/(webhook|sparkplug)\//.test(u)), []);
    assert.ok(!packages.has('protobufjs'), 'no Sparkplug, no protobufjs');
  });

  it('an OPC UA machine does load node-opcua (the recorder sees it)', async () => {
    const machine = `  - id: cnc
    driver: opcua
    idealCycleTime: 1s
    connection: { endpoint: "opc.tcp://127.0.0.1:1", securityMode: None, timeout: 1s }
    tags: [{ name: parts, nodeId: "ns=2;s=Machine.PartCount" }]
    signals: { partCount: { tag: parts } }
`;
    const packages = await agentPackages('opcua', machine, (l) => l.msg === 'machine unreachable; retrying with back-off' && l.machine === 'cnc');
    assert.ok([...packages].some(isOpcua), `node-opcua not among ${[...packages].join(', ')}`);
    assert.ok(!packages.has('modbus-serial'), 'no Modbus machine, no modbus-serial');
  });

  it('the help lists every verb as its own module registers it (agent/cli/main.ts keeps names and descriptions)', async () => {
    // The program as main.ts would build it if it imported every verb module up front.
    const eager = new Command('lineside')
      .version('0')
      .addOption(new Option('--log-level <level>', 'override agent.logLevel').choices(LOG_LEVELS))
      .configureHelp({ helpWidth: 80 });
    for (const register of [registerRun, registerValidate, registerSchema, registerOpcua, registerSimulate, registerModbus, registerReplay, registerDeadLetters, registerStation, registerDemo, registerIngest]) register(eager);
    const out = await runCli(['--help']);
    assert.equal(out.code, 0, out.stderr);
    const sections = (help: string) => help.slice(help.indexOf('Options:'));
    assert.equal(sections(out.stdout), sections(eager.helpInformation()));
  });
});
