import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfigSections } from '../../../config/loader.ts';
import { formatIssue } from '../../../config/issues.ts';
import { BASE } from './base-config.ts';
import { configProblems } from '../../helpers/config-problems.ts';


const modbus = (id: string, connection: string) => `  - id: ${id}
    driver: modbus
    idealCycleTime: 1s
    connection: ${connection}
    tags: [{ name: parts, address: 0 }]
    signals: { partCount: { tag: parts } }
`;

const problems = configProblems;

describe('unknown keys', () => {
  it('suggests the close key at the same place', () => {
    assert.deepEqual(problems(BASE.replace('  id: line1\n', '  id: line1\n  datadir: /var/lib/x\n').replace('  url:', '  qoss: 1\n  url:')), [
      'lineside.yaml:3:3 agent.datadir: unknown key; did you mean `dataDir`?',
      'lineside.yaml:6:3 mqtt.qoss: unknown key; did you mean `qos`?',
    ]);
  });

  it('suggests keys of the machine\'s own driver', () => {
    assert.deepEqual(problems(BASE + modbus('press', '{ host: plc, unitid: 3, endpont: x }')), [
      'lineside.yaml:13:30 machines[1].connection.unitid: unknown key; did you mean `unitId`?',
      // `endpoint` is an OPC UA key: no use to a Modbus machine.
      'lineside.yaml:13:41 machines[1].connection.endpont: unknown key',
    ]);
  });

  it('suggests nothing when no key is close', () => {
    assert.deepEqual(problems(BASE.replace('  id: line1\n', '  id: line1\n  colour: red\n')), ['lineside.yaml:3:3 agent.colour: unknown key']);
  });
});

describe('one Modbus device per machine', () => {
  it('rejects a second machine on the same host, port and unit id, naming the first', () => {
    const text = BASE + modbus('press-1', '{ host: PLC-7, unitId: 3 }') + modbus('press-2', '{ host: plc-7, port: 502, unitId: 3 }');
    assert.deepEqual(problems(text), ['lineside.yaml:19:17 machines[2].connection: expected a device of its own, got the one of machine "press-1" (machines[1]): host plc-7, port 502, unit id 3']);
  });

  it('rejects a second machine on the same serial port and unit id', () => {
    const rtu = '{ transport: rtu, serial: { path: /dev/ttyUSB0 }, unitId: 5 }';
    const found = problems(BASE + modbus('a', rtu) + modbus('b', rtu));
    assert.deepEqual(found, ['lineside.yaml:19:17 machines[2].connection: expected a device of its own, got the one of machine "a" (machines[1]): serial port /dev/ttyUSB0, unit id 5']);
  });

  it('accepts other unit ids on one gateway, and one unit id on two ports', () => {
    const text = BASE + modbus('a', '{ host: gw, unitId: 1 }') + modbus('b', '{ host: gw, unitId: 2 }') + modbus('c', '{ host: gw, port: 503, unitId: 1 }');
    assert.deepEqual(problems(text), []);
  });
});

describe('Modbus machines sharing a link', () => {
  it('rejects a machine on the same serial bus with other line settings, naming the first and each difference', () => {
    const bus = (unitId: number, extra: string) => `{ transport: rtu, serial: { path: /dev/ttyUSB0${extra} }, unitId: ${unitId} }`;
    const found = problems(BASE + modbus('a', bus(1, ', baudRate: 19200')) + modbus('b', bus(2, ', baudRate: 9600, parity: even')));
    assert.deepEqual(found.map((f) => f.replace(/^lineside\.yaml:\d+:\d+ /, '')), [
      'machines[2].connection.serial.baudRate: expected 19200 like machine "a" (machines[1]) on the same link (serial port /dev/ttyUSB0), got 9600: machines sharing a link share its settings',
      'machines[2].connection.serial.parity: expected "none" like machine "a" (machines[1]) on the same link (serial port /dev/ttyUSB0), got "even": machines sharing a link share its settings',
    ]);
  });

  it('rejects one gateway port spoken to as Modbus TCP by one machine and as RTU over TCP by another', () => {
    const found = problems(BASE + modbus('a', '{ host: gw, unitId: 1 }') + modbus('b', '{ host: GW, transport: rtu-over-tcp, unitId: 2 }'));
    assert.equal(found.length, 1);
    assert.match(found[0]!, /machines\[2\]\.connection\.transport: expected "tcp" like machine "a" \(machines\[1\]\) on the same link \(GW:502\), got "rtu-over-tcp"/);
  });

  it('accepts devices on one bus that agree, whatever their own timeouts', () => {
    const bus = (unitId: number, timeout: string) => `{ transport: rtu, serial: { path: /dev/ttyUSB0, baudRate: 19200 }, unitId: ${unitId}, timeout: ${timeout} }`;
    assert.deepEqual(problems(BASE + modbus('a', bus(1, '200ms')) + modbus('b', bus(2, '1s'))), []);
  });
});

describe('agent.dataDir', () => {
  for (const dir of ['/proc/lineside', '/sys/lineside', '/dev/shm/lineside']) {
    it(`rejects ${dir}, a kernel file system`, () => {
      const found = problems(BASE.replace('  id: line1\n', `  id: line1\n  dataDir: ${dir}\n`));
      assert.equal(found.length, 1);
      assert.match(found[0]!, new RegExp(`^lineside\\.yaml:3:12 agent\\.dataDir: expected a directory on a disk .*got "${dir}" inside /${dir.split('/')[1]}`));
    });
  }

  it('reports it along with the other problems', () => {
    const found = problems(BASE.replace('  id: line1\n', '  id: line1\n  dataDir: /proc/x\n').replace('idealCycleTime: 1s', 'idealCycleTime: soon'));
    assert.equal(found.length, 2, found.join('\n'));
  });
});

describe('loading some sections only', () => {
  const text = BASE.replace('  url: mqtt://127.0.0.1:1883\n', '  url: mqtt://127.0.0.1:1883\n  password: ${MQTT_PASSWORD}\n').replace('  id: line1\n', '  id: line1\n  dataDir: ../state\n');

  it('leaves unset variables of other sections alone', () => {
    const { config } = parseConfigSections(text, '/etc/lineside/lineside.yaml', ['agent'], { env: {} });
    assert.equal(config.agent.dataDir, '/etc/state');
  });

  it('still reports problems in the sections it reads', () => {
    assert.throws(
      () => parseConfigSections(text.replace('dataDir: ../state', 'dataDir: ${STATE_DIR}'), '/etc/lineside/lineside.yaml', ['agent'], { env: {} }),
      (err: unknown) => err instanceof ConfigError && err.issues.map(formatIssue).join('\n') === 'lineside.yaml:3:12 agent.dataDir: environment variable STATE_DIR is not set',
    );
  });
});
