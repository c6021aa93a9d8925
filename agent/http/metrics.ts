// Prometheus metrics of the agent. One registry per agent (not prom-client's global one) so
// tests and embedded agents do not share counters. Gauges that mirror component state are
// collected at scrape time rather than updated on every change.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { Fleet } from '../runtime/fleet.ts';

export function createRegistry(agentId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ agent: agentId });
  // prom-client's own names (process_*, nodejs_*) get the product prefix once: lineside_process_cpu_...
  collectDefaultMetrics({ register: registry, prefix: 'lineside_' });
  return registry;
}

const LINK_STATES = ['connecting', 'connected', 'disconnected', 'stopped'] as const;

export function registerFleetMetrics(registry: Registry, fleet: Fleet): void {
  const status = () => Object.entries(fleet.status());
  new Gauge({
    name: 'lineside_driver_connected',
    help: '1 when the machine link is connected, else 0.',
    labelNames: ['machine', 'driver'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of fleet.runners) this.set({ machine: r.id, driver: r.driver }, r.status.state === 'connected' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lineside_driver_link_state',
    help: 'Link state of each machine (1 for the current state).',
    labelNames: ['machine', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [machine, s] of status()) for (const state of LINK_STATES) this.set({ machine, state }, s.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lineside_driver_poll_duration_seconds',
    help: 'Duration of the last successful poll of each machine.',
    labelNames: ['machine'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [machine, s] of status()) if (s.lastPollMs !== undefined) this.set({ machine }, s.lastPollMs / 1000);
    },
  });
  // Counters that live in the runners are exposed as gauges of their running totals: prom-client
  // counters cannot be set, and rate() works on a monotonic gauge all the same.
  for (const [name, help, pick] of [
    ['lineside_driver_polls_total', 'Polls completed per machine.', (s: ReturnType<typeof fleet.status>[string]) => s.polls],
    ['lineside_driver_poll_errors_total', 'Polls that lost the link per machine.', (s: ReturnType<typeof fleet.status>[string]) => s.pollErrors],
    ['lineside_driver_reconnects_total', 'Reconnect attempts per machine.', (s: ReturnType<typeof fleet.status>[string]) => s.reconnects],
    ['lineside_driver_poll_overruns_total', 'Poll ticks skipped because a read outlasted the interval.', (s: ReturnType<typeof fleet.status>[string]) => s.overruns],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ['machine'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [machine, s] of status()) this.set({ machine }, pick(s));
      },
    });
  }
}

const MACHINE_STATES = ['unknown', 'plannedStop', 'fault', 'changeover', 'running', 'stopped'] as const;
const RATIOS = ['availability', 'performance', 'quality', 'oee'] as const;

/** Per-machine state and live OEE of the open periods, read from the pipeline at scrape time. */
export function registerMachineMetrics(registry: Registry, machines: readonly string[], pipeline: () => Pipeline | undefined): void {
  new Gauge({
    name: 'lineside_machine_state',
    help: 'Current state of each machine (1 for the current state).',
    labelNames: ['machine', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const p = pipeline();
      for (const machine of machines) {
        const current = p?.machine(machine)?.state.state;
        if (current) for (const state of MACHINE_STATES) this.set({ machine, state }, current === state ? 1 : 0);
      }
    },
  });
  /** Figures of every open period of every machine, computed once per scrape per gauge. */
  function* openFigures() {
    const p = pipeline();
    for (const machine of machines) {
      const mp = p?.machine(machine);
      for (const period of mp?.openPeriods() ?? []) {
        const f = mp!.figures(period.id);
        if (f) yield { machine, period: period.kind, f };
      }
    }
  }
  new Gauge({
    name: 'lineside_oee_ratio',
    help: 'Live (provisional) OEE figures of each open period kind; absent while undefined (no planned time yet).',
    labelNames: ['machine', 'period', 'metric'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { machine, period, f } of openFigures()) for (const metric of RATIOS) if (f[metric] !== null) this.set({ machine, period, metric }, f[metric]);
    },
  });
  new Gauge({
    name: 'lineside_parts_total',
    help: 'Parts counted in each open period, by kind of count.',
    labelNames: ['machine', 'period', 'count'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { machine, period, f } of openFigures()) for (const count of ['total', 'good', 'reject'] as const) this.set({ machine, period, count }, f.counts[count]);
    },
  });
}
