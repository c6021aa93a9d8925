// Parts of bench/ingest.ts: contract-valid telemetry envelopes, a fast QoS 1 publisher, the
// plain multi-row INSERT baseline, and `lineside ingest` children with /proc CPU sampling.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type pg from 'pg';
import { procSample } from '../fleet.ts';
import { AgentProcess } from '../../test/helpers/agent-process.ts';

export const LINE = 'lineside/v1/acme/plant1/hall/line1';

export interface Msg {
  topic: string;
  payload: Buffer;
  agent: string;
  seq: number;
  machine: string;
  ts: string;
  tags: Array<{ tag: string; value: number }>;
}

/** `n` telemetry messages of `agents` agents (10 machines each), `tags` values per message. */
export function buildMessages(n: number, agents: number, tags: number): Msg[] {
  const out: Msg[] = [];
  const base = Date.parse('2026-03-02T06:00:00.000Z');
  for (let i = 0; i < n; i++) {
    const agent = `edge-${i % agents}`;
    const seq = Math.floor(i / agents) + 1;
    const machine = `m${seq % 10}`;
    const ts = new Date(base + i).toISOString();
    const values: Record<string, unknown> = {};
    const list: Msg['tags'] = [];
    for (let t = 0; t < tags; t++) {
      const value = (seq * 7 + t) % 1000;
      values[`tag${t}`] = { value, quality: 'good', ts };
      list.push({ tag: `tag${t}`, value });
    }
    const env = { schema: 'lineside.telemetry/1', msgId: `${agent}:${seq}`, seq, ts, sentAt: ts, machine, replay: false, data: { values } };
    out.push({ topic: `${LINE}/${machine}/telemetry`, payload: Buffer.from(JSON.stringify(env)), agent, seq, machine, ts, tags: list });
  }
  return out;
}

/** Publishes every message with QoS 1 (up to `window` unacknowledged) and resolves when the broker has them all. */
export async function publishAll(url: string, msgs: readonly Msg[], window = 2000): Promise<void> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `bench-pub-${process.pid}` });
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    let inflight = 0;
    const pump = () => {
      while (inflight < window && next < msgs.length) {
        const m = msgs[next++]!;
        inflight++;
        c.publish(m.topic, m.payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          inflight--;
          if (next >= msgs.length && inflight === 0) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  await c.endAsync();
}

/** The raw baseline: the same rows (messages + narrow telemetry) as plain multi-row INSERTs, 1000 messages a transaction. */
export async function rawInsert(pool: pg.Pool, msgs: readonly Msg[], per = 1000): Promise<void> {
  const client = await pool.connect();
  try {
    for (let i = 0; i < msgs.length; i += per) {
      const chunk = msgs.slice(i, i + per);
      const mp: unknown[] = [];
      const mv: string[] = [];
      const tp: unknown[] = [];
      const tv: string[] = [];
      for (const m of chunk) {
        const b = mp.length;
        mp.push(m.agent, m.seq, 'lineside.telemetry/1', `acme/plant1/hall/line1/${m.machine}`, m.ts, m.ts, false);
        mv.push(`($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7})`);
        for (const t of m.tags) {
          const c = tp.length;
          tp.push(m.ts, `acme/plant1/hall/line1/${m.machine}`, t.tag, t.value, 'good', m.agent, m.seq);
          tv.push(`($${c + 1},$${c + 2},$${c + 3},$${c + 4},NULL,NULL,$${c + 5},$${c + 6},$${c + 7})`);
        }
      }
      await client.query('BEGIN');
      await client.query(`INSERT INTO messages (agent_id, seq, schema, machine_path, ts, sent_at, replay) VALUES ${mv.join(',')}`, mp);
      await client.query(`INSERT INTO telemetry (ts, machine_path, tag, value_num, value_bool, value_text, quality, agent_id, seq) VALUES ${tv.join(',')}`, tp);
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
}

export function centralConfig(dir: string, name: string, o: { mqttUrl: string; pgUrl: string; clientId: string; group: string; receiveMaximum?: number; maxRows?: number }): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `mqtt: { url: "${o.mqttUrl}", clientId: ${o.clientId}, group: ${o.group}, receiveMaximum: ${o.receiveMaximum ?? 8192} }
postgres: { url: "${o.pgUrl}" }
batch: { maxRows: ${o.maxRows ?? 2000}, maxDelay: 20ms, concurrency: 2 }
http: { port: 0 }
log: { level: info }
`);
  return file;
}

export class IngestChild extends AgentProcess {
  /** `env` e.g. NODE_OPTIONS=--cpu-prof to profile the instance (bench/ingest.ts --cpu-prof DIR). */
  constructor(configFile: string, env: NodeJS.ProcessEnv = {}) {
    super(['ingest', '--config', configFile], env);
  }

  /** The time (epoch ms, from the log line) the broker connection came up. */
  async connectedAt(): Promise<number> {
    return (await this.msg('connected to broker', 30_000)).time as number;
  }

  async port(): Promise<number> {
    return (await this.msg('ingest started', 30_000)).port as number;
  }

  cpuMs(): number {
    return procSample(this.child.pid!)?.cpuMs ?? NaN;
  }

  /** Messages this instance inserted, from its /metrics. */
  async inserted(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${await this.port()}/metrics`)).text();
    return Number(/lineside_ingest_messages_total\{result="inserted"\} (\d+)/.exec(text)?.[1] ?? 0);
  }
}

/** CPU time (ms) of a PostgreSQL cluster: the postmaster and every backend it started (live ones). */
export function postgresCpuMs(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let ms = procSample(postmaster)?.cpuMs ?? 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) ms += procSample(Number(d))?.cpuMs ?? 0;
    } catch {
      // The process ended meanwhile.
    }
  }
  return ms;
}

/** The pid of the process whose command line contains `text` (the test broker: its config path). */
export function pidByCommandLine(text: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text)) return Number(d);
    } catch {
      // The process ended meanwhile.
    }
  }
  return undefined;
}
