// A replay configuration for unit tests: one driver-less machine `m1` unless told otherwise.
import { replayConfigSchema, type ReplayConfig } from '../../../config/schema/replay.ts';

export function replayConfig(extra: Record<string, unknown> = {}): ReplayConfig {
  return replayConfigSchema.parse({
    shifts: { timezone: 'Europe/Berlin', shifts: [{ name: 'early', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '06:00', end: '14:00' }] },
    oee: { periods: ['shift', 'hour', 'job'] },
    machines: [{ id: 'm1', idealCycleTime: '1s', pollInterval: '10s', signals: { running: { tag: 'Press.Running' }, partCount: { tag: 'Press.Count' } } }],
    ...extra,
  });
}
