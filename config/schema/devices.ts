// One Modbus device, one machine: two machines on the same endpoint and unit id read the same
// registers (a copy-paste slip), double the polling load on the device, and on a serial bus
// interleave their frames. Machines on one link (a gateway's TCP connection, a serial bus) share
// it, so they must agree on how the link is driven: the driver opens it with the first
// machine's settings, and a second machine's other baud rate would silently not apply.
import type { z } from 'zod';
import type { MachineConfig } from './machine.ts';
import type { ModbusConnectionConfig } from './modbus.ts';

/** The link a Modbus connection uses: machines with the same key share one connection or bus. */
export function modbusLinkKey(c: Pick<ModbusConnectionConfig, 'transport' | 'host' | 'port' | 'serial'>): string {
  return c.transport === 'rtu' ? `rtu:${c.serial?.path}` : `tcp:${c.host?.toLowerCase()}:${c.port}`;
}

/** Settings of the link itself (not of a device on it), by path under `connection`. */
function linkSettings(c: ModbusConnectionConfig): Array<[path: string[], value: unknown]> {
  if (c.transport === 'rtu') {
    const s = c.serial;
    return [
      [['serial', 'baudRate'], s?.baudRate], [['serial', 'parity'], s?.parity], [['serial', 'dataBits'], s?.dataBits],
      [['serial', 'stopBits'], s?.stopBits], [['interFrameDelay'], c.interFrameDelay],
    ];
  }
  const out: Array<[string[], unknown]> = [[['transport'], c.transport], [['pipelineDepth'], c.pipelineDepth]];
  if (c.transport === 'rtu-over-tcp') out.push([['interFrameDelay'], c.interFrameDelay]);
  return out;
}

/** superRefine of the machines list: a machine on a shared link is reported where it differs from the first. */
export function sharedModbusLinksAgree(machines: MachineConfig[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  machines.forEach((m, i) => {
    if (m.driver !== 'modbus' || (m.connection.transport === 'rtu' ? !m.connection.serial : !m.connection.host)) return;
    const key = modbusLinkKey(m.connection);
    const j = first.get(key);
    if (j === undefined) {
      first.set(key, i);
      return;
    }
    const other = machines[j]!;
    if (other.driver !== 'modbus') return;
    const theirs = new Map(linkSettings(other.connection).map(([p, v]) => [p.join('.'), v]));
    const link = m.connection.transport === 'rtu' ? `serial port ${m.connection.serial!.path}` : `${m.connection.host}:${m.connection.port}`;
    for (const [path, value] of linkSettings(m.connection)) {
      const expected = theirs.get(path.join('.'));
      if (expected === undefined || expected === value) continue;
      ctx.addIssue({ code: 'custom', path: [i, 'connection', ...path], message: `expected ${JSON.stringify(expected)} like machine "${other.id}" (machines[${j}]) on the same link (${link}), got ${JSON.stringify(value)}: machines sharing a link share its settings` });
    }
  });
}

/** Every check of the machines list that concerns Modbus devices and links. */
export function modbusDevices(machines: MachineConfig[], ctx: z.RefinementCtx): void {
  oneMachinePerModbusDevice(machines, ctx);
  sharedModbusLinksAgree(machines, ctx);
}

function deviceOf(m: MachineConfig): { key: string; text: string } | undefined {
  if (m.driver !== 'modbus') return undefined;
  const c = m.connection;
  if (c.transport === 'rtu') return c.serial ? { key: `rtu ${c.serial.path} ${c.unitId}`, text: `serial port ${c.serial.path}, unit id ${c.unitId}` } : undefined;
  return c.host ? { key: `tcp ${c.host.toLowerCase()} ${c.port} ${c.unitId}`, text: `host ${c.host}, port ${c.port}, unit id ${c.unitId}` } : undefined;
}

/** superRefine of the machines list: the second machine on a device is reported at its connection. */
export function oneMachinePerModbusDevice(machines: MachineConfig[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  machines.forEach((m, i) => {
    const device = deviceOf(m);
    if (!device) return;
    const first = seen.get(device.key);
    if (first === undefined) {
      seen.set(device.key, i);
      return;
    }
    ctx.addIssue({ code: 'custom', path: [i, 'connection'], message: `expected a device of its own, got the one of machine "${machines[first]!.id}" (machines[${first}]): ${device.text}` });
  });
}
