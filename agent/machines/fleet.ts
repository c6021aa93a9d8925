// All machine runners of the agent as one component: started together, stopped together,
// isolated from each other.
import type { MachineConfig } from '../../config/schema/index.ts';
import { createDriver } from '../../drivers/registry.ts';
import type { AgentIdentity, Driver } from '../../drivers/driver.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../lifecycle/component.ts';
import type { LinkStatus, MachineSink } from './link-status.ts';
import { MachineRunner, type RunnerOptions } from './machine-runner.ts';

export interface FleetOptions {
  machines: MachineConfig[];
  sink: MachineSink;
  log: Logger;
  dataDir: string;
  agent?: AgentIdentity;
  now?: () => number;
  createDriver?: (m: MachineConfig) => Promise<Driver>;
  backoff?: RunnerOptions['backoff'];
  timeouts?: RunnerOptions['timeouts'];
}

export class Fleet implements Component {
  readonly name = 'machines';
  readonly runners: MachineRunner[];

  constructor(o: FleetOptions) {
    this.runners = o.machines.map(
      (machine) =>
        new MachineRunner({
          machine,
          createDriver: o.createDriver ?? createDriver,
          sink: o.sink,
          log: o.log.child({ machine: machine.id, driver: machine.driver }),
          dataDir: o.dataDir,
          ...(o.agent ? { agent: o.agent } : {}),
          ...(o.now ? { now: o.now } : {}),
          ...(o.backoff ? { backoff: o.backoff } : {}),
          ...(o.timeouts ? { timeouts: o.timeouts } : {}),
        }),
    );
  }

  async start(): Promise<void> {
    for (const r of this.runners) r.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.runners.map((r) => r.stop()));
  }

  status(): Record<string, Readonly<LinkStatus>> {
    return Object.fromEntries(this.runners.map((r) => [r.id, r.status]));
  }
}
