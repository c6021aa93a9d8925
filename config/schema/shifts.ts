// The shift calendar: when production is planned, with breaks, holidays and one-off overrides.
import { z } from 'zod';
import { duration, text, timeOfDay, topicLevel } from './units.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** True when the runtime knows this IANA time zone. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const dateText = z
  .string({ error: 'expected a date "YYYY-MM-DD"' })
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { error: 'expected a date "YYYY-MM-DD"' });

const breakSchema = z.strictObject({
  name: text().optional().describe('Label, e.g. "lunch".'),
  start: timeOfDay().describe('Wall-clock start "HH:MM" in the calendar timezone.'),
  duration: duration({ min: '1m', max: '12h' }).describe('Length of the break.'),
});

export const shiftSchema = z.strictObject({
  name: topicLevel('a shift name').describe('Shift name, e.g. "early"; appears in OEE period ids.'),
  days: z.array(z.enum(WEEKDAYS, { error: `expected one of ${WEEKDAYS.join(' | ')}` })).min(1, { error: 'expected at least one weekday' }).describe('Weekdays on which the shift starts.'),
  start: timeOfDay().describe('Wall-clock start "HH:MM".'),
  end: timeOfDay().describe('Wall-clock end "HH:MM"; at or before start means the shift ends the next day (overnight).'),
  breaks: z.array(breakSchema).prefault([]).describe('Planned breaks (planned stops) within the shift.'),
});

export const shiftsSchema = z
  .strictObject({
    timezone: z.string({ error: 'expected an IANA timezone like Europe/Berlin' }).refine(isTimeZone, { error: 'expected an IANA timezone like Europe/Berlin' }).prefault('UTC').describe('IANA timezone the shift times are given in; DST is handled.'),
    shifts: z.array(shiftSchema).prefault([]).describe('The weekly shift pattern. With no shifts, all time counts as planned and only hour periods are kept.'),
    holidays: z.array(dateText).prefault([]).describe('Dates with no production: every shift starting that day is cancelled.'),
    overrides: z
      .array(z.strictObject({ date: dateText.describe('The date replaced.'), shifts: z.array(shiftSchema.omit({ days: true })).describe('Shifts that day instead of the weekly pattern (empty: none).') }))
      .prefault([])
      .describe('One-off days with other shifts than the weekly pattern.'),
  })
  .describe('Shift calendar: planned production time comes from here.');

export type ShiftsConfig = z.output<typeof shiftsSchema>;
export type ShiftConfig = z.output<typeof shiftSchema>;
