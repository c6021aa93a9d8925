// A full data disk is one incident: the agent logs when it starts, counts every failed write in
// /metrics, and keeps running — never a log line per poll. The disk is a real 600 KiB tmpfs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, it } from 'node:test';
import { AgentProcess } from '../helpers/agent-process.ts';
import { writeAgentConfig } from '../helpers/agent-config.ts';
import { tempDir } from '../helpers/tmp.ts';

const dir = tempDir();
// Outside tempDir(): its clean-up must not meet a mount point.
const disk = mkdtempSync(join(tmpdir(), 'lineside-disk-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'tmpfs', disk], { stdio: 'ignore' });
  mounted = true;
} catch {
  // Not root or no mount permission: this check needs a real small filesystem.
}
after(() => {
  if (mounted) execFileSync('umount', ['-l', disk], { stdio: 'ignore' });
  rmSync(disk, { recursive: true, force: true });
});

const machine = (id: string) => `  - { id: ${id}, driver: sim, idealCycleTime: 1s, pollInterval: 50ms, telemetry: { interval: 100ms }, connection: { speed: 100, cycleTime: 100ms } }`;

async function metric(port: number, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = text.split('\n').find((l) => line.test(l));
  return m ? Number(m.split(' ').pop()) : NaN;
}

it('a full data disk logs each failure once and counts the rest in /metrics', { skip: mounted ? false : 'needs root to mount a tmpfs', timeout: 90_000 }, async () => {
  const file = writeAgentConfig({ id: 'full-disk', dir, body: `machines:\n${machine('m1')}\n${machine('m2')}\n` });
  // Data on the tiny disk: the config's ./data is relative to the config file's folder.
  const cfg = file.replace(/lineside\.yaml$/, 'full.yaml');
  writeFileSync(cfg, readFileSync(file, 'utf8').replace('dataDir: ./data', `dataDir: ${join(disk, 'data')}`));
  const agent = new AgentProcess(['run', '--config', cfg, '--log-level', 'info']);
  try {
    const listening = await agent.msg('HTTP API listening');
    const port = listening.port as number;
    await agent.waitFor((l) => /outbox cannot write|writing pipeline history failed/.test(String(l.msg)), 60_000);
    // Let the failure repeat over many polls and closed stops before counting log lines (the
    // metric has no event to await: poll it).
    for (const end = Date.now() + 60_000; !((await metric(port, /^lineside_outbox_write_failures_total\{/)) >= 5); await sleep(250)) {
      if (Date.now() > end) throw new Error('the outbox did not keep failing on the full disk');
    }
    assert.ok(agent.alive, 'the agent keeps running on a full disk');
    const errors = agent.lines.filter((l) => (l.level ?? 0) >= 40);
    const byMsg = new Map<string, number>();
    for (const l of errors) byMsg.set(String(l.msg), (byMsg.get(String(l.msg)) ?? 0) + 1);
    for (const [msg, n] of byMsg) assert.ok(n <= 1, `"${msg}" logged ${n} times during one incident`);
    assert.equal(await metric(port, /^lineside_outbox_failing\{/), 1);
    // Nothing the agent holds is hidden: what readyz calls buffered covers the outbox (test/unit/pipeline/pending.test.ts covers the rest).
    const depth = await metric(port, /^lineside_outbox_depth\{/);
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { checks: { mqtt: { reason: string } } };
    const buffered = Number(/(\d+) messages buffered/.exec(ready.checks.mqtt.reason)?.[1]);
    assert.ok(buffered >= depth && depth > 0, `readyz says ${buffered} buffered, the outbox holds ${depth}`);
  } finally {
    await agent.stop();
  }
});
