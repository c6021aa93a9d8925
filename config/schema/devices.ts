// One Modbus device, one machine: two machines on the same endpoint and unit id read the same
// registers (a copy-paste slip), double the polling load on the device, and on a serial bus
// interleave their frames.
import type { z } from 'zod';
import type { MachineConfig } from './machine.ts';

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
