// When the agent tidies its files: outbox compaction, command-log and history pruning. These
// touch the disk hard for a while, so plants put them outside production hours. Period
// boundaries are not scheduled here: they stay on the pipeline's calendar clock (docs/OEE.md).
import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import { isTimeZone } from './shifts.ts';
import { duration } from './units.ts';

const FIELD_NAMES: Record<string, string> = { second: 'second', minute: 'minute', hour: 'hour', dayOfMonth: 'day of month', month: 'month', dayOfWeek: 'weekday' };
const EXPECTED = 'expected a cron expression "minute hour day-of-month month weekday" like "30 3 * * *"';

/** What is wrong with a cron expression, by field, in node-cron's own reading of it; undefined when valid. */
export function cronProblem(expression: string): string | undefined {
  const { valid, errors } = validateDetailed(expression);
  if (valid) return undefined;
  // node-cron's "61 is a invalid expression for minute" reads better as `minute "61" is not valid`.
  const what = errors.map((e) => (/is a invalid expression/.test(e.message) && e.field in FIELD_NAMES ? `${FIELD_NAMES[e.field]} "${e.value ?? ''}" is not valid` : e.message));
  return `${EXPECTED}: ${what.join('; ')}`;
}

const cronExpression = z.string({ error: EXPECTED }).superRefine((s, ctx) => {
  const problem = cronProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const housekeepingSchema = z
  .strictObject({
    // 03:30: the small hours, and outside the hour DST skips or repeats in Europe and North America.
    schedule: cronExpression
      .prefault('30 3 * * *')
      .describe('When housekeeping runs (cron: minute hour day-of-month month weekday, in `timezone`). Pick a time no shift covers, e.g. "0 23 * * *" on a two-shift line (06:00–22:00), or "0 4 * * 0" (Sunday 04:00) on a line that runs around the clock on weekdays.'),
    timezone: z
      .string({ error: 'expected an IANA timezone like Europe/Berlin' })
      .refine(isTimeZone, { error: 'expected an IANA timezone like Europe/Berlin' })
      .optional()
      .describe('IANA timezone of `schedule`. Default: the shift calendar\'s (`shifts.timezone`).'),
    runOnStart: z.boolean({ error: 'expected true or false' }).prefault(false).describe('Also run every job once when the agent starts (after a long stop, say). Off by default: a restart during production should not load the disk.'),
    timeout: duration({ min: '1s', max: '6h' }).prefault('15m').describe('Longest a job may run; a job past it stops at its next step and counts as `timeout`.'),
  })
  .describe('Housekeeping on a schedule: outbox compaction, command-log and history pruning. Bounds that protect the disk (`buffer.maxBytes`, `buffer.maxAge`, disk full) are enforced continuously, not here.');

export type HousekeepingConfig = z.output<typeof housekeepingSchema>;
