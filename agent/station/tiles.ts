// What the line view shows of each machine, read from the running pipeline and the fleet's links.
// The same shape answers GET /api/v1/line and goes out on the live stream.
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { Fleet } from '../machines/fleet.ts';
import type { PipelineComponent } from '../pipeline-store/component.ts';
import type { Tile } from './schema.ts';

export interface TileSources {
  config: LinesideConfig;
  fleet: Fleet;
  pipeline: PipelineComponent;
  now: () => number;
}

const iso = (t: number) => new Date(t).toISOString();

export interface OpenStop { eventId: string; state: 'fault' | 'changeover' | 'stopped'; start: number; end: number | undefined; reason: string; assigned: boolean; microStop: boolean }

/** Downtime events the pipeline still holds for a machine, newest first (the open one among them). */
export function heldStops(s: TileSources, id: string): OpenStop[] {
  const mp = s.pipeline.pipeline?.machine(id);
  if (!mp) return [];
  return mp
    .heldDowntime()
    .map((d) => ({ eventId: d.id, state: d.state, start: d.start, end: d.end, reason: d.reason, assigned: d.assigned !== undefined, microStop: d.microStop }))
    .sort((a, b) => b.start - a.start);
}

export function reasonText(config: LinesideConfig, code: string): string {
  return (config.reasons as Record<string, { text: string } | undefined>)[code]?.text ?? (code.startsWith('fault-') ? `Fault ${code.slice(6)}` : code);
}

export function tileOf(s: TileSources, id: string): Tile {
  const cfg = s.config.machines.find((m) => m.id === id)!;
  const link = s.fleet.runners.find((r) => r.id === id)?.status;
  const mp = s.pipeline.pipeline?.machine(id);
  const open = mp && mp.state.state !== 'running' ? heldStops(s, id).find((d) => d.end === undefined) : undefined;
  const periods = mp?.openPeriods() ?? [];
  const shift = periods.find((p) => p.kind === 'shift') ?? periods.find((p) => p.kind === 'hour');
  const shiftFigures = shift && mp!.figures(shift.id);
  const job = mp?.job;
  const counted = (job && mp!.figures(job.periodId)) || shiftFigures;
  return {
    id,
    ...(cfg.name ? { name: cfg.name } : {}),
    link: link?.state ?? 'stopped',
    state: mp ? { state: mp.state.state, since: iso(mp.state.since), ...(mp.state.faultCode !== undefined ? { faultCode: mp.state.faultCode } : {}) } : null,
    stop: open ? { eventId: open.eventId, state: open.state, start: iso(open.start), reason: { code: open.reason, text: reasonText(s.config, open.reason), assigned: open.assigned } } : null,
    job: job ? { orderId: job.orderId, product: job.product, start: iso(job.start), ...(job.targetQuantity !== undefined ? { targetQuantity: job.targetQuantity } : {}) } : null,
    counts: { good: counted?.counts.good ?? 0, reject: counted?.counts.reject ?? 0, total: counted?.counts.total ?? 0 },
    oee:
      shift && shiftFigures
        ? { kind: shift.kind as 'shift' | 'hour', ...(shift.name ? { name: shift.name } : {}), start: iso(shift.start), availability: shiftFigures.availability, performance: shiftFigures.performance, quality: shiftFigures.quality, oee: shiftFigures.oee }
        : null,
  };
}

export function allTiles(s: TileSources): Tile[] {
  return s.config.machines.map((m) => tileOf(s, m.id));
}
