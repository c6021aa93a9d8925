// The `sim` driver: the simulated machine in-process, read like any polled device.
import type { MachineConfig, SimConnectionConfig } from '../../config/schema/index.ts';
import type { Driver, DriverContext, Reading } from '../driver.ts';
import { SimMachine, type SimSnapshot } from './model.ts';

export function simSettings(c: SimConnectionConfig) {
  return {
    seed: c.seed,
    cycleTime: c.cycleTime,
    rejectRate: c.rejectRate,
    faultsPerHour: c.faultsPerHour,
    meanFaultDuration: c.meanFaultDuration,
    changeoversPerHour: c.changeoversPerHour,
    microStopsPerHour: c.microStopsPerHour,
    counterWidth: c.counterWidth,
  };
}

export function snapshotReadings(s: SimSnapshot, ts: number): Reading[] {
  return (Object.keys(s) as (keyof SimSnapshot)[]).map((tag) => ({ tag, value: s[tag], quality: 'good' as const, ts }));
}

class SimDriver implements Driver {
  #config: SimConnectionConfig;
  #ctx: DriverContext | undefined;
  #model: SimMachine | undefined;
  #origin = 0;

  constructor(config: SimConnectionConfig) {
    this.#config = config;
  }

  async connect(ctx: DriverContext): Promise<void> {
    this.#ctx = ctx;
    if (!this.#model) {
      this.#origin = ctx.now();
      this.#model = new SimMachine(simSettings(this.#config), this.#origin);
    }
  }

  async read(): Promise<Reading[]> {
    if (!this.#model || !this.#ctx) throw new Error('not connected');
    const now = this.#ctx.now();
    // `speed` accelerates the machine's own clock for demos; readings keep the agent's time.
    const snapshot = this.#model.advance(this.#origin + (now - this.#origin) * this.#config.speed);
    return snapshotReadings(snapshot, now);
  }

  async close(): Promise<void> {
    this.#ctx = undefined;
  }
}

export function createSimDriver(machine: MachineConfig): Driver {
  if (machine.driver !== 'sim') throw new Error(`sim driver given a ${machine.driver} machine`);
  return new SimDriver(machine.connection);
}
