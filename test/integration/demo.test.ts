// `lineside demo --duration 20s` as a user's script would run it (stdout not a terminal): the
// first JSON line says where the broker is; a plain MQTT subscriber there must receive state,
// downtime and OEE messages that validate against the contract, and the demo must stop by itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { envelopeSchema } from '../../agent/contract/envelope.ts';
import { BODY_SCHEMAS, type DowntimeBody, type OeeBody, type StateBody } from '../../agent/contract/payloads.ts';
import { agentStatusSchema } from '../../agent/contract/status.ts';
import { BIN, ROOT } from '../helpers/cli.ts';
import { ContractChecker } from '../helpers/contract-checker.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Line { event: string; [k: string]: unknown }

describe('lineside demo', () => {
  it('runs the simulated line for 20 s and publishes contract-valid state, downtime and OEE messages', { timeout: 120_000 }, async () => {
    const dir = tempDir('lineside-demo-test-');
    const child = spawn(process.execPath, [BIN, 'demo', '--duration', '20s', '--data-dir', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    after(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const lines: Line[] = [];
    let onLine: (() => void) | undefined;
    createInterface({ input: child.stdout }).on('line', (text) => {
      lines.push(JSON.parse(text) as Line); // every line of the non-TTY output is JSON
      onLine?.();
    });
    const started = await new Promise<Line>((resolve, reject) => {
      onLine = () => lines[0] && resolve(lines[0]);
      void exited.then((code) => reject(new Error(`demo exited (${code}) before starting: ${stderr}`)));
    });
    assert.equal(started.event, 'started');
    const broker = started.broker as { host: string; port: number };
    assert.equal(broker.host, '127.0.0.1');
    assert.match(String(started.subscribe), new RegExp(`^mosquitto_sub -h 127\\.0\\.0\\.1 -p ${broker.port} -t 'lineside/#' -v$`));

    const received: Array<{ topic: string; json: Record<string, unknown> }> = [];
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'demo-test', protocolVersion: 4, reconnectPeriod: 0 });
    after(() => sub.endAsync(true));
    sub.on('message', (topic, payload) => received.push({ topic, json: JSON.parse(payload.toString()) as Record<string, unknown> }));
    await sub.subscribeAsync('lineside/#', { qos: 1 });
    // The shared checker validates against the published JSON Schemas (docs/schemas/payloads).
    const contract = await ContractChecker.attach(`mqtt://127.0.0.1:${broker.port}`);

    assert.equal(await exited, 0, `demo exit code; stderr: ${stderr}`);
    await contract.close();
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
    assert.equal(lines.at(-1)?.event, 'stopped');
    const frames = lines.filter((l) => l.event === 'frame');
    assert.ok(frames.length >= 15, `a frame a second for 20 s, got ${frames.length}`);
    assert.ok(lines.some((l) => l.event === 'fault'), 'the scripted faults ran');

    // Every message validates: envelope, then the body its schema names; topics follow the contract.
    const root = 'lineside/v1/acme/demo-plant/assembly/line-1/';
    const byKind = new Map<string, Array<{ data: unknown; ts: string }>>();
    for (const m of received) {
      assert.ok(m.topic.startsWith(root), m.topic);
      if (m.topic.includes('/_agent/')) {
        agentStatusSchema.parse(m.json);
        continue;
      }
      const env = envelopeSchema.parse(m.json);
      const [machine, kind] = m.topic.slice(root.length).split('/');
      assert.equal(env.machine, machine);
      const body = BODY_SCHEMAS[env.schema as keyof typeof BODY_SCHEMAS];
      assert.ok(body, `known schema ${env.schema}`);
      const parsed = body.safeParse(env.data);
      assert.ok(parsed.success, `${m.topic}: ${parsed.error?.message}`);
      byKind.set(kind!, [...(byKind.get(kind!) ?? []), { data: parsed.data, ts: env.ts }]);
    }
    const states = (byKind.get('state') ?? []).map((m) => m.data as StateBody);
    const downtime = (byKind.get('downtime') ?? []).map((m) => m.data as DowntimeBody);
    const oee = (byKind.get('oee') ?? []).map((m) => m.data as OeeBody);
    assert.ok(states.some((s) => s.state === 'fault'), `a fault state; got ${states.map((s) => s.state).join(', ')}`);
    // A scripted fault starts 4 s after the demo, another every 8 s, each lasting ~4 s: one opens and closes in 20 s.
    const faults = downtime.filter((d) => d.state === 'fault');
    assert.ok(faults.some((d) => d.status === 'open'), 'an open fault downtime');
    assert.ok(faults.some((d) => d.status === 'closed' && d.durationMs! > 0), 'a closed fault downtime');
    assert.ok(faults.every((d) => d.reason.code !== '' && d.faultCode !== undefined), 'faults carry a reason and their code');
    const live = oee.filter((o) => o.kind === 'shift' && o.status === 'live');
    assert.ok(live.length >= 3, `live shift OEE for the line, got ${live.length}`);
    assert.ok(live.some((o) => o.oee !== null && o.oee > 0 && o.counts.total > 0), 'live OEE with parts counted');
    // Each message's seq is unique (the broker delivered each once at most to this subscriber in a clean run).
    const seqs = received.filter((m) => !m.topic.includes('/_agent/')).map((m) => m.json.seq as number);
    assert.equal(new Set(seqs).size, seqs.length);
  });
});
