import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shiftsSchema } from '../../../config/schema/shifts.ts';
import { ShiftCalendar } from '../../../agent/pipeline/calendar.ts';
import { HOUR, Harness, MIN, makeConfig } from './harness.ts';

function calendar(input: unknown): ShiftCalendar {
  return new ShiftCalendar(shiftsSchema.parse(input));
}

const iso = (t: number) => new Date(t).toISOString();

describe('shift calendar', () => {
  const berlin = calendar({
    timezone: 'Europe/Berlin',
    shifts: [
      { name: 'early', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '06:00', end: '14:00', breaks: [{ start: '09:00', duration: '15m' }] },
      { name: 'night', days: ['sat', 'sun', 'mon'], start: '22:00', end: '06:00', breaks: [{ start: '02:00', duration: '30m' }] },
    ],
    holidays: ['2026-12-25'],
    overrides: [{ date: '2026-12-24', shifts: [{ name: 'early', start: '06:00', end: '12:00' }] }],
  });

  it('places a winter day shift in local time', () => {
    const [s] = berlin.shiftsStartingOn('2026-11-23');
    assert.equal(iso(s!.start), '2026-11-23T05:00:00.000Z');
    assert.equal(iso(s!.end), '2026-11-23T13:00:00.000Z');
    assert.deepEqual(s!.breaks.map((b) => [iso(b.start), b.end - b.start]), [['2026-11-23T08:00:00.000Z', 15 * MIN]]);
  });

  it('runs an overnight shift across midnight, with a break after midnight', () => {
    const night = berlin.shiftsStartingOn('2026-11-23').find((s) => s.name === 'night')!;
    assert.equal(iso(night.start), '2026-11-23T21:00:00.000Z');
    assert.equal(iso(night.end), '2026-11-24T05:00:00.000Z');
    assert.equal(iso(night.breaks[0]!.start), '2026-11-24T01:00:00.000Z');
    // Past midnight the shift that started yesterday is still the one running.
    assert.equal(berlin.shiftAt(Date.parse('2026-11-23T23:30:00Z'))?.name, 'night');
    assert.equal(berlin.shiftAt(Date.parse('2026-11-23T23:30:00Z'))?.date, '2026-11-23');
    assert.equal(berlin.isPlanned(Date.parse('2026-11-24T01:10:00Z')), false, 'in the break');
    assert.equal(berlin.isPlanned(Date.parse('2026-11-24T01:40:00Z')), true);
    assert.equal(berlin.isPlanned(Date.parse('2026-11-23T20:30:00Z')), false, 'between shifts');
  });

  it('gives the night shift 9 h when clocks fall back and 7 h when they spring forward', () => {
    const fall = berlin.shiftsStartingOn('2026-10-24').find((s) => s.name === 'night')!;
    assert.equal(fall.end - fall.start, 9 * HOUR);
    assert.equal(iso(fall.start), '2026-10-24T20:00:00.000Z');
    assert.equal(iso(fall.end), '2026-10-25T05:00:00.000Z');
    const spring = berlin.shiftsStartingOn('2026-03-28').find((s) => s.name === 'night')!;
    assert.equal(spring.end - spring.start, 7 * HOUR);
    assert.equal(iso(spring.end), '2026-03-29T04:00:00.000Z');
  });

  it('counts 25 local hours on the fall-back day and 23 on the spring-forward day', () => {
    const countHours = (from: number, to: number) => {
      let n = 0;
      for (let t = from; t < to; t = berlin.nextHour(t)) n++;
      return n;
    };
    assert.equal(countHours(berlin.toInstant('2026-10-25', 0), berlin.toInstant('2026-10-26', 0)), 25);
    assert.equal(countHours(berlin.toInstant('2026-03-29', 0), berlin.toInstant('2026-03-30', 0)), 23);
  });

  it('maps wall-clock times next to a DST change to the right instant (both hemispheres of the offset)', () => {
    const ny = calendar({ timezone: 'America/New_York' });
    // The hour before Berlin's repeated hour exists once, in summer time.
    assert.equal(iso(berlin.toInstant('2026-10-25', 90)), '2026-10-24T23:30:00.000Z');
    assert.equal(iso(berlin.toInstant('2026-10-25', 60)), '2026-10-24T23:00:00.000Z');
    // Ambiguous (repeated) times resolve to the later instant; missing ones move forward by the gap.
    assert.equal(iso(berlin.toInstant('2026-10-25', 150)), '2026-10-25T01:30:00.000Z');
    assert.equal(iso(berlin.toInstant('2026-03-29', 150)), '2026-03-29T01:30:00.000Z');
    assert.equal(iso(ny.toInstant('2026-11-01', 90)), '2026-11-01T06:30:00.000Z');
    assert.equal(iso(ny.toInstant('2026-03-08', 150)), '2026-03-08T07:30:00.000Z');
    // The hour after New York's spring-forward gap is summer time.
    assert.equal(iso(ny.toInstant('2026-03-08', 180)), '2026-03-08T07:00:00.000Z');
    assert.equal(iso(ny.toInstant('2026-03-08', 210)), '2026-03-08T07:30:00.000Z');
  });

  it('puts a night-shift break in the hour before the repeated hour at its local time', () => {
    const cal = calendar({ timezone: 'Europe/Berlin', shifts: [{ name: 'night', days: ['sat'], start: '22:00', end: '06:00', breaks: [{ start: '01:30', duration: '30m' }] }] });
    const [night] = cal.shiftsStartingOn('2026-10-24');
    assert.deepEqual(night!.breaks.map((b) => [iso(b.start), iso(b.end)]), [['2026-10-24T23:30:00.000Z', '2026-10-25T00:00:00.000Z']]);
  });

  it('cancels shifts on holidays and replaces them on override days', () => {
    assert.deepEqual(berlin.shiftsStartingOn('2026-12-25'), []);
    const eve = berlin.shiftsStartingOn('2026-12-24');
    assert.equal(eve.length, 1);
    assert.equal(eve[0]!.end - eve[0]!.start, 6 * HOUR);
  });

  it('walks boundaries in order and treats all time as planned without shifts', () => {
    const t0 = Date.parse('2026-11-23T04:00:00Z');
    const seen: string[] = [];
    for (let t = berlin.nextChange(t0); t < Date.parse('2026-11-24T06:00:00Z'); t = berlin.nextChange(t)) seen.push(iso(t).slice(11, 16));
    assert.deepEqual(seen, ['05:00', '08:00', '08:15', '13:00', '21:00', '01:00', '01:30', '05:00']);
    const none = calendar({});
    assert.equal(none.isPlanned(t0), true);
    assert.equal(none.nextChange(t0), Number.POSITIVE_INFINITY);
  });

  it('keeps a 30-minute-offset timezone on the half hour', () => {
    const india = calendar({ timezone: 'Asia/Kolkata' });
    assert.equal(iso(india.hourStart(Date.parse('2026-11-23T10:10:00Z'))), '2026-11-23T09:30:00.000Z');
  });
});

describe('pipeline over the calendar', () => {
  it('closes an overnight shift across a DST change with its true length', () => {
    const config = makeConfig({
      shifts: `{ timezone: Europe/Berlin, shifts: [{ name: night, days: [sat], start: "22:00", end: "06:00", breaks: [{ start: "02:00", duration: 30m }] }] }`,
      oee: '{ periods: [shift], liveInterval: 1h }',
    });
    const start = Date.parse('2026-10-24T19:50:00Z');
    const h = new Harness(config, start);
    let parts = 0;
    for (let t = start; t <= Date.parse('2026-10-25T05:10:00Z'); t += 10_000) {
      const planned = h.pipeline.calendar.isPlanned(t);
      if (planned) parts += 9;
      h.read(t, { running: planned, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    const shift = h.oee('shift:night:2026-10-24')!;
    assert.ok(shift);
    assert.equal(shift.times.elapsed, 9 * HOUR);
    assert.equal(shift.times.plannedStop, 30 * MIN);
    assert.equal(shift.times.run, 8.5 * HOUR);
    assert.equal(shift.availability, 1);
    assert.equal(shift.end, '2026-10-25T05:00:00.000Z');
  });
});
