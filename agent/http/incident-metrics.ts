// Repeated failures (see lifecycle/incident.ts) as metrics: the log says when an incident starts
// and ends; these say how often it failed meanwhile and whether it is still failing.
import type { Registry } from 'prom-client';
import type { Incidents } from '../lifecycle/incident.ts';
import { mirrorCounter, mirrorGauge } from './mirror.ts';

export function registerIncidentMetrics(registry: Registry, incidents: Incidents): void {
  mirrorCounter(registry, {
    name: 'lineside_failures_total',
    help: 'Failures of recurring work (history writes, state saves, pipeline ticks, reading sinks), by incident name.',
    labelNames: ['incident'],
    read: (emit) => {
      for (const i of incidents.list()) emit({ incident: i.name }, i.failures);
    },
  });
  mirrorGauge(registry, {
    name: 'lineside_failing',
    help: '1 while the recurring work of this name keeps failing (an open incident), else 0.',
    labelNames: ['incident'],
    read: (emit) => {
      for (const i of incidents.list()) emit({ incident: i.name }, i.active ? 1 : 0);
    },
  });
}
