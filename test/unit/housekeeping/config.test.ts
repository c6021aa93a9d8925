import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { parseConfig } from '../../../config/loader.ts';
import { buildHousekeeping } from '../../../agent/housekeeping/build.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { configProblems } from '../../helpers/config-problems.ts';

const BASE = `agent: { id: a }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: mqtt://127.0.0.1:1 }
machines: [{ id: m1, driver: sim, idealCycleTime: 1s }]
`;

const problems = (text: string) => configProblems(text);

describe('housekeeping configuration', () => {
  it('defaults to 03:30 daily, in the shift calendar\'s timezone, not at start, 15 minutes at most', () => {
    const { housekeeping } = parseConfig(BASE, '/x/lineside.yaml', { env: {} }).config;
    assert.deepEqual(housekeeping, { schedule: '30 3 * * *', runOnStart: false, timeout: 15 * 60_000 });
  });

  it('rejects a schedule node-cron cannot run, naming the field, at its line and column', () => {
    assert.deepEqual(problems(`${BASE}housekeeping:\n  schedule: "61 3 * * *"\n`), [
      'lineside.yaml:6:13 housekeeping.schedule: expected a cron expression "minute hour day-of-month month weekday" like "30 3 * * *": minute "61" is not valid',
    ]);
    const [fields] = problems(`${BASE}housekeeping: { schedule: "30 3 * *" }\n`);
    assert.match(fields!, /^lineside\.yaml:5:\d+ housekeeping\.schedule: .*expected 5 or 6 fields but got 4$/);
    assert.match(problems(`${BASE}housekeeping: { schedule: "30 3 31 2 *" }\n`)[0]!, /impossible day of month/);
    assert.match(problems(`${BASE}housekeeping: { timezone: Europe/Atlantis }\n`)[0]!, /housekeeping\.timezone: expected an IANA timezone/);
    assert.match(problems(`${BASE}housekeeping: { timeout: 0s }\n`)[0]!, /housekeeping\.timeout: expected a duration/);
    assert.deepEqual(problems(`${BASE}housekeeping: { schedule: "0 4 * * sun", timezone: America/Chicago, runOnStart: true, timeout: 1h }\n`), []);
  });

  it('schedules in shifts.timezone unless housekeeping.timezone is given', async () => {
    const wall = (ms: number, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(ms));
    const targets = { outbox: { file: '/nonexistent', compact: () => false, pruneCommands: () => 0 }, pipeline: { pruneHistory: () => 0 } };
    for (const [extra, zone, expected] of [
      ['shifts: { timezone: Asia/Kolkata }\n', 'Asia/Kolkata', /03:30$/],
      ['shifts: { timezone: Asia/Kolkata }\nhousekeeping: { schedule: "15 22 * * 6", timezone: America/Sao_Paulo }\n', 'America/Sao_Paulo', /^Sat 22:15$/],
    ] as const) {
      const { config } = parseConfig(BASE + extra, '/x/lineside.yaml', { env: {} });
      const scheduler = buildHousekeeping(config, targets, new Registry(), captureLog().log);
      await scheduler.start();
      try {
        const next = scheduler.stats()[0]!.nextRun!;
        assert.match(wall(next, zone), expected, extra);
      } finally {
        await scheduler.stop();
      }
    }
  });
});
