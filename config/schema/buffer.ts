// Bounds and durability of the store-and-forward outbox.
import { z } from 'zod';
import { duration, size } from './units.ts';

export const bufferSchema = z
  .strictObject({
    maxBytes: size({ min: '64KiB' }).prefault('1GiB').describe('Largest outbox payload volume. When full, the oldest telemetry is dropped first; OEE, downtime and job results last. Every drop is counted and reported.'),
    maxAge: duration({ min: '1m' }).prefault('7d').describe('Messages older than this are dropped (and reported) rather than sent.'),
    synchronous: z.enum(['normal', 'full'], { error: 'expected normal or full' }).prefault('normal').describe('SQLite synchronous mode: `normal` survives an agent crash, `full` also survives power loss at the cost of an fsync per commit.'),
    commitInterval: duration({ min: '1ms', max: '1s' }).prefault('20ms').describe('Group-commit tick: appends within one tick share one transaction.'),
  })
  .describe('The SQLite outbox that holds every outbound message until the broker acknowledged it.');
