// Driver modules are loaded on demand so a plant with only Modbus never loads node-opcua.
import type { MachineConfig } from '../config/schema/index.ts';
import type { Driver, DriverFactory } from './driver.ts';

type DriverKind = MachineConfig['driver'];

const loaders: Partial<Record<DriverKind, () => Promise<DriverFactory>>> = {
  sim: async () => (await import('./sim/driver.ts')).createSimDriver,
  modbus: async () => (await import('./modbus/driver.ts')).createModbusDriver,
};

export async function createDriver(machine: MachineConfig): Promise<Driver> {
  const load = loaders[machine.driver];
  if (!load) throw new Error(`driver "${machine.driver}" is not available in this build`);
  return (await load())(machine);
}
