// Metrics whose values live in the components (link states, running totals in stats()) and are
// read at scrape time, so no hot path updates a metric. Running totals are real Prometheus
// counters (TYPE counter), set from the component's own total on every scrape.
import { Counter, Gauge, type Registry } from 'prom-client';

export type Emit = (labels: Record<string, string>, value: number) => void;

export interface MirrorSpec {
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** Reports every current series; series not reported disappear from the scrape. */
  read: (emit: Emit) => void;
}

export function mirrorGauge(registry: Registry, spec: MirrorSpec): void {
  new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      this.reset();
      spec.read((labels, value) => this.set(labels, value));
    },
  });
}

export function mirrorCounter(registry: Registry, spec: MirrorSpec): void {
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      this.reset();
      spec.read((labels, value) => this.inc(labels, Math.max(0, value)));
    },
  });
}
