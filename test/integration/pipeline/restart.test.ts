import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AgentProcess, type LogLine } from '../../helpers/agent-process.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { writeAgentConfig } from '../../helpers/agent-config.ts';
import { BODY_SCHEMAS } from '../../../agent/contract/payloads.ts';

const BODY = `oee: { liveInterval: 1s }
machines:
  - id: sim-1
    driver: sim
    idealCycleTime: 50ms
    pollInterval: 100ms
    states: { debounce: 300ms }
    connection: { speed: 20, faultsPerHour: 0, microStopsPerHour: 0, changeoversPerHour: 0 }
`;

const isEvent = (kind: string, pred: (b: Record<string, any>) => boolean = () => true) => (l: LogLine) =>
  l.msg === 'pipeline event' && l.kind === kind && l.machine === 'sim-1' && pred(l.body as Record<string, any>);

interface PeriodView { id: string; total: number; unknown: number }

function hourPeriod(dir: string, id?: string): PeriodView {
  const conn = new Database(join(dir, 'outbox.db'), { readonly: true });
  const history = new Database(join(dir, 'state.db'), { readonly: true });
  try {
    const row = conn.prepare("SELECT value FROM saved_state WHERE key = 'sim-1'").get() as { value: string } | undefined;
    assert.ok(row, 'machine state saved');
    const snap = JSON.parse(row.value) as { open: Array<{ id: string; kind: string; acc: { total: number; ms: { unknown: number } } }> };
    const open = snap.open.find((p) => (id ? p.id === id : p.kind === 'hour'));
    if (open) return { id: open.id, total: open.acc.total, unknown: open.acc.ms.unknown };
    // The hour ended while the test ran: the period is in the history.
    const h = history.prepare("SELECT body FROM period_history WHERE machine = 'sim-1' AND period_id = ?").get(id) as { body: string };
    const b = JSON.parse(h.body);
    return { id: id!, total: b.counts.total, unknown: b.times.unknown };
  } finally {
    conn.close();
    history.close();
  }
}

describe('pipeline in lineside run', () => {
  it('publishes valid events from the sim machine, persists state, and continues after a restart with the gap as unknown', async () => {
    const dir = tempDir();
    const file = writeAgentConfig({ dir, id: 'restart', body: BODY });
    const data = join(dir, 'data');

    const first = new AgentProcess(['run', '--config', file, '--log-level', 'debug']);
    after(() => first.stop('SIGKILL'));
    await first.waitFor(isEvent('state', (b) => b.state === 'running'), 30_000);
    await first.waitFor(isEvent('oee', (b) => b.kind === 'hour' && b.counts.total >= 20), 30_000);
    assert.equal(await first.stop('SIGTERM'), 0, first.stderr);
    const stoppedAt = Date.now();
    for (const l of first.lines.filter((x) => x.msg === 'pipeline event')) {
      const schema = BODY_SCHEMAS[l.schema as keyof typeof BODY_SCHEMAS];
      assert.ok(schema.safeParse(l.body).success, `invalid ${l.schema}: ${JSON.stringify(l.body)}`);
    }
    assert.ok(existsSync(join(data, 'outbox.db')));
    const before = hourPeriod(data);
    assert.ok(before.total >= 20, `counted ${before.total}`);

    const restartedAt = Date.now();
    const second = new AgentProcess(['run', '--config', file, '--log-level', 'debug']);
    after(() => second.stop('SIGKILL'));
    await second.waitFor((l) => l.msg === 'pipeline state restored; the time the agent was down counts as unknown', 30_000);
    // The first state after the restart is unknown, from where the first run stopped accounting.
    const unknown = await second.waitFor(isEvent('state', (b) => b.state === 'running'), 30_000);
    assert.equal((unknown.body as Record<string, any>).previous.state, 'unknown');
    await second.waitFor(isEvent('oee', (b) => b.periodId === before.id && b.counts.total >= before.total + 20), 30_000);
    assert.equal(await second.stop('SIGTERM'), 0, second.stderr);

    const later = hourPeriod(data, before.id);
    assert.ok(later.total >= before.total + 20, `counts continue: ${before.total} → ${later.total}`);
    assert.ok(later.unknown - before.unknown >= restartedAt - stoppedAt, `gap ${restartedAt - stoppedAt} ms counted as unknown: ${later.unknown - before.unknown}`);
  });
});
