// `lineside run` against a test broker, with what the command tests look at from outside: its
// /metrics (timed), its resident memory from /proc, and a MES-side sender and reply collector.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { parsePrometheus } from '../../helpers/prometheus.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector } from '../mqtt/collector.ts';

export const ROOT = 'lineside/v1/acme/p1/hall/l1';

export interface CommandBed {
  broker: Mosquitto;
  agent: AgentProcess;
  replies: Collector;
  sender: MqttClient;
  port: number;
  /** GET /metrics: the families and how long the answer took (ms). */
  metrics(timeoutMs?: number): Promise<{ ms: number; value: (name: string, labels?: Record<string, string>) => number }>;
  /** Resident set of the agent process (bytes), from /proc/PID/status. */
  rss(field?: 'VmRSS' | 'VmHWM'): number;
  /** Make VmHWM start again from the current resident set (Linux clear_refs "5"). */
  resetPeak(): void;
}

export interface CommandBedOptions {
  /** `mqtt:` settings beyond the URL, e.g. `maxPacketSize: 256KiB`. */
  mqtt?: string;
  machines?: string[];
  /** What `replies` subscribes to (default: every reply). */
  repliesTopic?: string;
}

export async function commandBed(o: CommandBedOptions = {}): Promise<CommandBed> {
  const broker = await Mosquitto.start();
  after(() => broker.stop());
  const replies = new Collector(broker.url, o.repliesTopic ?? `${ROOT}/+/cmd/+/reply`);
  after(() => replies.close());
  await replies.ready();
  const dir = tempDir();
  const file = join(dir, 'lineside.yaml');
  const machines = o.machines ?? ['press-1', 'press-2'];
  writeFileSync(
    file,
    `agent: { id: edge-1, dataDir: ./data }
location: { enterprise: acme, site: p1, area: hall, line: l1 }
mqtt: { url: "${broker.url}"${o.mqtt ? `, ${o.mqtt}` : ''} }
http: { port: 0 }
machines:
${machines.map((m) => `  - { id: ${m}, driver: sim, idealCycleTime: 1s, pollInterval: 200ms }`).join('\n')}
`,
  );
  const agent = new AgentProcess(['run', '--config', file]);
  after(() => agent.stop('SIGKILL'));
  await agent.msg('subscribed to commands');
  const { port } = (await agent.msg('HTTP API listening')) as { port: number };
  const sender = await mqtt.connectAsync(broker.url, { clientId: `mes-sender-${process.pid}`, reconnectPeriod: 0 });
  after(() => sender.endAsync(true));
  const pid = agent.child.pid!;
  return {
    broker,
    agent,
    replies,
    sender,
    port,
    async metrics(timeoutMs = 10_000) {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      const ms = performance.now() - t0;
      const families = parsePrometheus(text);
      return {
        ms,
        value: (name, labels = {}) => {
          const s = families.get(name)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
          if (!s) throw new Error(`no sample ${name}${JSON.stringify(labels)} in /metrics`);
          return s.value;
        },
      };
    },
    rss(field = 'VmRSS') {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
      return Number(m[1]) * 1024;
    },
    resetPeak() {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    },
  };
}

export const MiB = 1024 * 1024;
