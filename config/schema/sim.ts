// The built-in machine simulator: a deterministic model, no network.
import { z } from 'zod';
import { duration, int, num } from './units.ts';

/** Tags the simulated machine exposes; signals of a sim machine default to these. */
export const SIM_TAGS = ['running', 'partCount', 'rejectCount', 'faultCode', 'speed', 'mode'] as const;

export const simConnectionSchema = z
  .strictObject({
    seed: int(0, 2 ** 31 - 1).prefault(1).describe('Random seed: the same seed gives the same machine day.'),
    cycleTime: duration({ min: '10ms' }).prefault('1s').describe('Actual cycle time when running at full speed.'),
    rejectRate: num({ min: 0, max: 1 }).prefault(0.02).describe('Share of parts that are rejects.'),
    faultsPerHour: num({ min: 0 }).prefault(2).describe('Mean number of faults an hour.'),
    meanFaultDuration: duration({ min: '1s' }).prefault('3m').describe('Mean length of a fault.'),
    changeoversPerHour: num({ min: 0 }).prefault(0.25).describe('Mean number of changeovers an hour.'),
    microStopsPerHour: num({ min: 0 }).prefault(6).describe('Mean number of short unexplained stops an hour.'),
    counterWidth: z.union([z.literal(16), z.literal(32)], { error: 'expected 16 or 32' }).prefault(32).describe('Bit width of the simulated part counters (they wrap).'),
    speed: num({ min: 0.01, max: 10_000 }).prefault(1).describe('Time acceleration of the simulated machine (demo).'),
  })
  .describe('Simulator settings.');

export type SimConnectionConfig = z.output<typeof simConnectionSchema>;
