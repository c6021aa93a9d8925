// What the demo shows: a model fed by the messages that reach the broker (exactly what a
// subscriber on lineside/# receives) plus the agent's own counters, rendered either as a
// terminal frame or as one JSON line per second.
import type { DemoMachine } from './config.ts';

export interface AgentGauges {
  brokerConnected: boolean;
  outboxDepth: number;
  /** Messages the broker acknowledged. */
  sent: number;
  /** Link state per machine, from the fleet. */
  links: Record<string, string>;
}

interface Figures {
  periodId: string;
  kind: string;
  name?: string;
  status: string;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  good: number;
  reject: number;
}

interface Downtime {
  eventId: string;
  state: string;
  reason: string;
  start: string;
  microStop: boolean;
}

export interface MachineView {
  id: string;
  name: string;
  protocol: string;
  link: string;
  state: string;
  since: string | null;
  reason: string | null;
  downtime: Downtime | null;
  lastDowntime: (Downtime & { end: string | null; durationMs: number | null }) | null;
  /** The open shift's figures, or the hour's outside shifts. */
  oee: Figures | null;
  closedPeriods: number;
}

export interface Frame {
  event: 'frame';
  /** Seconds since the demo started (wall time). */
  uptime: number;
  /** The machines' (possibly accelerated) clock. */
  machineTime: string;
  machines: MachineView[];
  agent: Omit<AgentGauges, 'links'>;
  /** Messages seen on the broker, by kind. */
  messages: Record<string, number>;
}

export class DemoView {
  #machines = new Map<string, MachineView>();
  #shift = new Map<string, Figures>();
  #hour = new Map<string, Figures>();
  #messages: Record<string, number> = {};

  constructor(machines: readonly DemoMachine[]) {
    for (const m of machines) {
      this.#machines.set(m.id, { id: m.id, name: m.name, protocol: m.protocol, link: 'connecting', state: 'unknown', since: null, reason: null, downtime: null, lastDowntime: null, oee: null, closedPeriods: 0 });
    }
  }

  /** One message from the broker: `lineside/v1/{enterprise}/{site}/{area}/{line}/{machine}/{kind}`. */
  message(topic: string, payload: Buffer): void {
    const levels = topic.split('/');
    const kind = levels.at(-1) ?? '';
    const label = levels.at(-2) === 'cmd' || levels.at(-3) === 'cmd' ? 'command' : levels[6] === '_agent' ? 'status' : kind;
    this.#messages[label] = (this.#messages[label] ?? 0) + 1;
    const m = this.#machines.get(levels[6] ?? '');
    if (!m) return;
    let data: Record<string, any>;
    try {
      data = (JSON.parse(payload.toString('utf8')) as { data: Record<string, any> }).data;
    } catch {
      return;
    }
    if (kind === 'state') {
      m.state = String(data.state);
      m.since = String(data.since);
      m.reason = data.reason?.text ?? null;
    } else if (kind === 'downtime') {
      const d: Downtime = { eventId: data.eventId, state: data.state, reason: data.reason?.text ?? data.reason?.code ?? '?', start: data.start, microStop: data.microStop === true };
      if (data.status === 'open') m.downtime = d;
      else {
        if (m.downtime?.eventId === d.eventId) m.downtime = null;
        m.lastDowntime = { ...d, end: data.end ?? null, durationMs: data.durationMs ?? null };
      }
    } else if (kind === 'oee') {
      const f: Figures = {
        periodId: data.periodId,
        kind: data.kind,
        ...(data.name ? { name: data.name } : {}),
        status: data.status,
        availability: data.availability,
        performance: data.performance,
        quality: data.quality,
        oee: data.oee,
        good: data.counts?.good ?? 0,
        reject: data.counts?.reject ?? 0,
      };
      if (f.status === 'closed') m.closedPeriods++;
      if (f.kind === 'shift') this.#shift.set(m.id, f);
      if (f.kind === 'hour') this.#hour.set(m.id, f);
      const shift = this.#shift.get(m.id);
      // A closed shift stays on screen until the next shift's first live figures arrive.
      m.oee = shift ?? this.#hour.get(m.id) ?? null;
    }
  }

  frame(uptimeMs: number, machineNow: number, agent: AgentGauges): Frame {
    const machines = [...this.#machines.values()].map((m) => ({ ...m, link: agent.links[m.id] ?? m.link }));
    const { links: _links, ...gauges } = agent;
    return { event: 'frame', uptime: Math.round(uptimeMs / 100) / 10, machineTime: new Date(machineNow).toISOString(), machines, agent: gauges, messages: { ...this.#messages } };
  }
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '   —  ' : `${(v * 100).toFixed(1).padStart(5)}%`);
const clock = (iso: string | null) => (iso ? iso.slice(11, 19) : '—');

function age(fromIso: string | null, now: number): string {
  if (!fromIso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface Header {
  line: string;
  speed: number;
  subscribe: string;
  metrics: string;
  /** URL of the line station. */
  station?: string;
  logFile: string;
  configFile: string;
}

/** The terminal frame (plain text; the caller positions the cursor). */
export function renderFrame(f: Frame, h: Header): string {
  const now = Date.parse(f.machineTime);
  const period = f.machines.find((m) => m.oee)?.oee;
  const periodLabel = period ? `${period.kind} ${period.name ?? ''} ${period.status}`.replace(/\s+/g, ' ').trim() : 'waiting for the first figures';
  const rows = f.machines.map((m) => {
    const state = `${m.state}${m.state === 'unknown' ? '' : ` ${clock(m.since)} (${age(m.since, now)})`}`;
    const down = m.downtime ? `${m.downtime.reason} for ${age(m.downtime.start, now)}` : m.lastDowntime ? `last: ${m.lastDowntime.reason}, ${age(m.lastDowntime.start, Date.parse(m.lastDowntime.end ?? f.machineTime))}` : '—';
    const o = m.oee;
    return [
      m.id.padEnd(8),
      `${m.protocol}/${m.link}`.padEnd(17),
      state.padEnd(28),
      down.slice(0, 34).padEnd(34),
      String(o?.good ?? 0).padStart(6),
      String(o?.reject ?? 0).padStart(5),
      pct(o?.availability),
      pct(o?.performance),
      pct(o?.quality),
      pct(o?.oee),
    ].join(' ');
  });
  const a = f.agent;
  const up = `${Math.floor(f.uptime / 60)}:${String(Math.floor(f.uptime % 60)).padStart(2, '0')}`;
  return [
    `Lineside demo · ${h.line} · speed ${h.speed}× · machine time ${f.machineTime.slice(0, 19).replace('T', ' ')} UTC · up ${up}`,
    ...(h.station ? [`station ${h.station}  ← open the line station in a browser`] : []),
    '',
    `${'machine'.padEnd(8)} ${'link'.padEnd(17)} ${'state since (for)'.padEnd(28)} ${'downtime (reason, for)'.padEnd(34)} ${'good'.padStart(6)} ${'rej'.padStart(5)} ${'   A  '} ${'   P  '} ${'   Q  '} ${'  OEE '}`,
    ...rows,
    `${' '.repeat(91)}OEE: ${periodLabel}`,
    '',
    `agent   broker ${a.brokerConnected ? 'connected' : 'DISCONNECTED'} · outbox depth ${a.outboxDepth} · sent ${a.sent} · on the broker: ${Object.entries(f.messages).map(([k, n]) => `${k} ${n}`).join(', ') || 'nothing yet'}`,
    `watch   ${h.subscribe}`,
    `health  ${h.metrics}`,
    `files   config ${h.configFile} · log ${h.logFile}`,
    '',
    'Ctrl+C stops the demo.',
  ].join('\n');
}
