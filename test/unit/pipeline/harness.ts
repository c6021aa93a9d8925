// Builds a configured Pipeline in memory and feeds it readings on a virtual clock.
import { parseConfig } from '../../../config/loader.ts';
import type { LinesideConfig } from '../../../config/schema/index.ts';
import type { Reading, Value } from '../../../drivers/driver.ts';
import type { MachineEvent } from '../../../agent/events.ts';
import { Pipeline } from '../../../agent/pipeline/pipeline.ts';
import type { MachineSnapshot } from '../../../agent/pipeline/machine-pipeline.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;

/** A full config from YAML fragments for shifts/oee/reasons and one machine. */
export function makeConfig(parts: { shifts?: string; oee?: string; reasons?: string; machine?: string } = {}): LinesideConfig {
  const text = `agent: { id: test }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: mqtt://127.0.0.1:1 }
${parts.shifts ? `shifts: ${parts.shifts}` : ''}
${parts.oee ? `oee: ${parts.oee}` : ''}
${parts.reasons ? `reasons: ${parts.reasons}` : ''}
machines:
  - ${parts.machine ?? '{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 10s }'}
`;
  return parseConfig(text, 'test.yaml').config;
}

export class Harness {
  readonly events: MachineEvent[] = [];
  readonly pipeline: Pipeline;
  readonly machine: string;

  constructor(config: LinesideConfig, now: number, snapshots?: Map<string, MachineSnapshot>) {
    this.machine = config.machines[0]!.id;
    this.pipeline = new Pipeline({ config, now, sink: { publish: (e) => this.events.push(...e) }, ...(snapshots ? { snapshots } : {}) });
  }

  read(ts: number, values: Record<string, Value>, quality: Reading['quality'] = 'good'): void {
    this.pipeline.readings(this.machine, Object.entries(values).map(([tag, value]) => ({ tag, value, quality, ts })));
  }

  of(kind: MachineEvent['kind']): MachineEvent[] {
    return this.events.filter((e) => e.kind === kind);
  }

  /** The last OEE body published for a period. */
  oee(periodId: string, status: 'live' | 'closed' = 'closed'): Record<string, any> | undefined {
    return this.of('oee').map((e) => e.body as Record<string, any>).filter((b) => b.periodId === periodId && b.status === status).at(-1);
  }

  closed(kind: string): Array<Record<string, any>> {
    return this.of('oee').map((e) => e.body as Record<string, any>).filter((b) => b.kind === kind && b.status === 'closed');
  }
}

export function round4(x: number | null | undefined): number {
  return Math.round((x ?? Number.NaN) * 10_000) / 10_000;
}
