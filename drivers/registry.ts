// Driver modules are loaded on demand so a plant with only Modbus never loads node-opcua.
import type { MachineConfig } from '../config/schema/index.ts';
import type { Driver, DriverFactory } from './driver.ts';

type DriverKind = MachineConfig['driver'];

const loaders: Record<DriverKind, () => Promise<DriverFactory>> = {
  sim: async () => (await import('./sim/driver.ts')).createSimDriver,
  opcua: async () => (await import('./opcua/driver.ts')).createOpcuaDriver,
  modbus: async () => (await import('./modbus/driver.ts')).createModbusDriver,
};

export async function createDriver(machine: MachineConfig): Promise<Driver> {
  return (await loaders[machine.driver]())(machine);
}
