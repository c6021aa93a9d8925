import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getTasks } from 'node-cron';
import { composeAgent } from '../../../agent/app/compose.ts';
import { parseConfig } from '../../../config/loader.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { parsePrometheus } from '../../helpers/prometheus.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('housekeeping in the composed agent', () => {
  it('schedules every job with node-cron while the agent runs, shows the next run in /metrics, and leaves nothing scheduled after stop', async () => {
    const dir = tempDir();
    const text = `agent: { id: a, dataDir: ./data }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: mqtt://127.0.0.1:1 }
http: { enabled: false }
shifts: { timezone: Europe/Berlin }
machines: [{ id: m1, driver: sim, idealCycleTime: 1s }]
`;
    const agent = await composeAgent(parseConfig(text, join(dir, 'lineside.yaml')), captureLog('warn').log);
    after(() => agent.runtime.stop(5000));
    const housekeeping = () => [...getTasks().values()].filter((t) => t.name?.startsWith('housekeeping:')).map((t) => t.name).sort();
    assert.deepEqual(housekeeping(), [], 'composing does nothing yet');
    await agent.runtime.start();
    assert.deepEqual(housekeeping(), ['housekeeping:command-log-prune', 'housekeeping:history-prune', 'housekeeping:outbox-compact']);
    // Only this family: right after start prom-client's own event-loop lag gauges are still NaN.
    const next = parsePrometheus(`${await agent.registry.getSingleMetricAsString('lineside_housekeeping_next_run_timestamp_seconds')}\n`).get('lineside_housekeeping_next_run_timestamp_seconds')!;
    assert.equal(next.samples.length, 3);
    for (const s of next.samples) {
      const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(s.value * 1000));
      assert.equal(berlin, '03:30', `${s.labels.job} at the default time in the shift calendar's timezone`);
    }
    await agent.runtime.stop(5000);
    assert.deepEqual(housekeeping(), []);
  });
});
