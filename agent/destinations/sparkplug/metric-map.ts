// What a machine looks like as a Sparkplug device: the metrics (name, datatype) derived from the
// contract's messages, and the latest value of each. docs/SPARKPLUG.md lists the same map.
// A message becomes the metrics it changes (DDATA by exception); a replayed message becomes all
// of its metrics, marked historical, and never moves a current value back in time.
import type { DowntimeBody, JobBody, OeeBody, StateBody, TelemetryBody } from '../../contract/payloads.ts';
import { DataType, type DataTypeId, type MetricValue, type SpMetric } from './payload.ts';

/** A row of the outbox as the map needs it. */
export interface MappedRow {
  kind: string;
  ts: number;
  body: string;
}

export const COMMAND_NAMES = ['job', 'downtime-reason'] as const;
export type SpCommandName = (typeof COMMAND_NAMES)[number];
export const commandMetric = (name: SpCommandName): string => `Command/${name}`;
export const commandReplyMetric = (name: SpCommandName): string => `Command/${name}/Reply`;

/** Quality as the Ignition convention (OPC DA codes) in the metric property "Quality". */
export const QUALITY = { good: 192, uncertain: 64, bad: 0 } as const;

/** Declared datatypes of a machine's telemetry tags (by tag name); tags absent here are inferred. */
export type TagTypes = ReadonlyMap<string, DataTypeId>;

interface Current {
  datatype: DataTypeId;
  value: MetricValue;
  ts: number;
  quality?: number;
}

const FIXED: Array<[string, DataTypeId]> = [
  ['State', DataType.String],
  ['State/Since', DataType.DateTime],
  ['State/Reason Code', DataType.String],
  ['State/Reason Text', DataType.String],
  ['State/Fault Code', DataType.Int32],
  ['Downtime/Active', DataType.Boolean],
  ['Downtime/Event Id', DataType.String],
  ['Downtime/State', DataType.String],
  ['Downtime/Start', DataType.DateTime],
  ['Downtime/Duration', DataType.Int64],
  ['Downtime/Reason Code', DataType.String],
  ['Downtime/Reason Text', DataType.String],
  ['Downtime/Reason Category', DataType.String],
  ['Downtime/Reason Assigned', DataType.Boolean],
  ['Downtime/Micro Stop', DataType.Boolean],
  ['OEE/Shift/Name', DataType.String],
  ['OEE/Shift/Period Id', DataType.String],
  ['OEE/Shift/Status', DataType.String],
  ['OEE/Shift/OEE', DataType.Double],
  ['OEE/Shift/Availability', DataType.Double],
  ['OEE/Shift/Performance', DataType.Double],
  ['OEE/Shift/Quality', DataType.Double],
  ['OEE/Shift/Total Parts', DataType.Int64],
  ['OEE/Shift/Good Parts', DataType.Int64],
  ['OEE/Shift/Reject Parts', DataType.Int64],
  ['Job/Active', DataType.Boolean],
  ['Job/Order Id', DataType.String],
  ['Job/Product', DataType.String],
  ['Job/Ideal Cycle Time', DataType.Double],
  ['Job/OEE', DataType.Double],
  ['Job/Total Parts', DataType.Int64],
  ['Job/Good Parts', DataType.Int64],
  ['Job/Reject Parts', DataType.Int64],
  ...COMMAND_NAMES.flatMap((c): Array<[string, DataTypeId]> => [
    [commandMetric(c), DataType.String],
    [commandReplyMetric(c), DataType.String],
  ]),
];

type Entry = [name: string, value: MetricValue, quality?: number];

/** The metrics one message sets, or undefined when it says nothing about the current picture. */
type Mapper = (body: never, model: DeviceModel) => Entry[] | undefined;

const ms = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) : null);

const MAPPERS: Record<string, Mapper> = {
  state: (b: StateBody) => [
    ['State', b.state],
    ['State/Since', ms(b.since)],
    ['State/Reason Code', b.reason?.code ?? null],
    ['State/Reason Text', b.reason?.text ?? null],
    ['State/Fault Code', b.faultCode ?? null],
  ],
  downtime: (b: DowntimeBody, model) => {
    // A late revision of an earlier stop must not replace the one going on now.
    const open = model.value('Downtime/Active') === true;
    if (open && b.status !== 'open' && model.value('Downtime/Event Id') !== b.eventId) return undefined;
    return [
      ['Downtime/Active', b.status !== 'closed' && b.end === null],
      ['Downtime/Event Id', b.eventId],
      ['Downtime/State', b.state],
      ['Downtime/Start', ms(b.start)],
      ['Downtime/Duration', b.durationMs],
      ['Downtime/Reason Code', b.reason.code],
      ['Downtime/Reason Text', b.reason.text],
      ['Downtime/Reason Category', b.reason.category],
      ['Downtime/Reason Assigned', b.reason.assigned],
      ['Downtime/Micro Stop', b.microStop],
    ];
  },
  oee: (b: OeeBody, model) => {
    if (b.kind === 'shift') {
      // Revisions of an earlier shift (a late reason) do not replace the shift going on.
      const cur = model.value('OEE/Shift/Period Id');
      if (cur !== null && cur !== b.periodId && b.status === 'closed') return undefined;
      return [
        ['OEE/Shift/Name', b.name ?? null],
        ['OEE/Shift/Period Id', b.periodId],
        ['OEE/Shift/Status', b.status],
        ['OEE/Shift/OEE', b.oee],
        ['OEE/Shift/Availability', b.availability],
        ['OEE/Shift/Performance', b.performance],
        ['OEE/Shift/Quality', b.quality],
        ['OEE/Shift/Total Parts', b.counts.total],
        ['OEE/Shift/Good Parts', b.counts.good],
        ['OEE/Shift/Reject Parts', b.counts.reject],
      ];
    }
    if (b.kind === 'job' && b.status === 'live') {
      return [
        ['Job/Active', true],
        ['Job/Order Id', b.orderId ?? null],
        ['Job/Product', b.product ?? null],
        ['Job/Ideal Cycle Time', b.idealCycleTimeMs ?? null],
        ['Job/OEE', b.oee],
        ['Job/Total Parts', b.counts.total],
        ['Job/Good Parts', b.counts.good],
        ['Job/Reject Parts', b.counts.reject],
      ];
    }
    return undefined;
  },
  job: (b: JobBody, model) => {
    if (model.value('Job/Order Id') !== null && model.value('Job/Order Id') !== b.orderId) return undefined;
    return [
      ['Job/Active', false],
      ['Job/Order Id', b.orderId],
      ['Job/Product', b.product],
      ['Job/Ideal Cycle Time', b.idealCycleTimeMs],
      ['Job/OEE', b.oee],
      ['Job/Total Parts', b.total],
      ['Job/Good Parts', b.good],
      ['Job/Reject Parts', b.reject],
    ];
  },
  telemetry: (b: TelemetryBody) => Object.entries(b.values).map(([tag, v]): Entry => [`Telemetry/${tag}`, v.value, QUALITY[v.quality]]),
};

/** The kinds a Sparkplug device is made of (the outbox filter takes these, plus drop reports). */
export const MAPPED_KINDS = ['telemetry', 'state', 'downtime', 'oee', 'job'] as const;

function inferType(v: MetricValue): DataTypeId | undefined {
  if (typeof v === 'boolean') return DataType.Boolean;
  if (typeof v === 'string') return DataType.String;
  if (typeof v === 'number') return DataType.Double;
  return undefined;
}

/** What the machine pipeline holds now of a machine (its state survives restarts), for a birth that knows nothing yet. */
export interface DeviceFacts {
  state?: { state: string; since: number; faultCode?: number | undefined };
  job?: { orderId: string; product: string; idealCycleTimeMs: number; start: number } | undefined;
}

export class DeviceModel {
  readonly machine: string;
  readonly #cur = new Map<string, Current>();
  /** Telemetry metrics whose datatype is a guess until their first value. */
  readonly #guessed = new Set<string>();
  /** A metric appeared (or changed its datatype) that the last DBIRTH did not have. */
  rebirthNeeded = false;
  /** Current values that only history told (hosts keep history out of real-time tags). */
  readonly #fromHistory = new Set<string>();

  constructor(machine: string, telemetryTags: readonly string[], declared: TagTypes) {
    this.machine = machine;
    for (const [name, datatype] of FIXED) this.#cur.set(name, { datatype, value: name.startsWith('Command/') ? '' : null, ts: 0 });
    for (const tag of telemetryTags) {
      const name = `Telemetry/${tag}`;
      const datatype = declared.get(tag);
      this.#cur.set(name, { datatype: datatype ?? DataType.Double, value: null, ts: 0 });
      if (datatype === undefined) this.#guessed.add(name);
    }
  }

  value(name: string): MetricValue {
    return this.#cur.get(name)?.value ?? null;
  }

  /**
   * Fill what no message has told since the start (the picture lives in memory) from the pipeline:
   * after a restart the machine's state changes rarely, so without this a DBIRTH would show its
   * `State` as null until the next change.
   */
  seed(f: DeviceFacts): void {
    const set = (name: string, value: MetricValue, ts: number) => {
      const c = this.#cur.get(name);
      if (c && c.ts === 0 && value !== null) Object.assign(c, { value, ts });
    };
    if (f.state) {
      set('State', f.state.state, f.state.since);
      set('State/Since', f.state.since, f.state.since);
      set('State/Fault Code', f.state.faultCode ?? null, f.state.since);
    }
    if (f.job) {
      set('Job/Active', true, f.job.start);
      set('Job/Order Id', f.job.orderId, f.job.start);
      set('Job/Product', f.job.product, f.job.start);
      set('Job/Ideal Cycle Time', f.job.idealCycleTimeMs, f.job.start);
    }
  }

  /** Every metric with its current value: the DBIRTH. */
  birth(): SpMetric[] {
    this.#fromHistory.clear();
    return [...this.#cur].map(([name, c]) => ({ name, datatype: c.datatype, value: c.value, ...(c.ts ? { timestamp: c.ts } : {}), ...(c.quality !== undefined ? { quality: c.quality } : {}) }));
  }

  /**
   * Once a backlog is replayed: the current values it brought, as live data stamped with when they
   * became true, so real-time tags show them (a historical value never updates one).
   */
  takeCurrentFromHistory(): SpMetric[] {
    const out: SpMetric[] = [];
    for (const name of this.#fromHistory) {
      const c = this.#cur.get(name)!;
      out.push({ name, datatype: c.datatype, value: c.value, timestamp: c.ts, ...(c.quality !== undefined ? { quality: c.quality } : {}) });
    }
    this.#fromHistory.clear();
    return out;
  }

  /**
   * The metrics a message sets. Live: only those that changed (report by exception), and the model
   * follows. Historical: every one, marked so, and the model follows only where it is newer.
   */
  apply(row: MappedRow, historical: boolean): SpMetric[] {
    const map = MAPPERS[row.kind];
    if (!map) return [];
    let body: unknown;
    try {
      body = JSON.parse(row.body);
    } catch {
      return [];
    }
    const entries = map(body as never, this);
    if (!entries) return [];
    const out: SpMetric[] = [];
    for (const [name, value, quality] of entries) {
      let c = this.#cur.get(name);
      const seen = inferType(value);
      if (!c || (this.#guessed.has(name) && seen !== undefined)) {
        // A tag the birth did not know, or whose datatype only its first value tells: birth again.
        this.#guessed.delete(name);
        const datatype = seen ?? DataType.String;
        if (!c || c.datatype !== datatype) this.rebirthNeeded = true;
        c = c ? Object.assign(c, { datatype }) : { datatype, value: null, ts: 0 };
        this.#cur.set(name, c);
      }
      const changed = c.value !== value || c.quality !== quality;
      const newer = row.ts >= c.ts;
      if (newer) {
        c.value = value;
        c.ts = row.ts;
        if (quality !== undefined) c.quality = quality;
        if (!historical) this.#fromHistory.delete(name);
        else if (changed) this.#fromHistory.add(name);
      }
      if (historical || (changed && newer)) out.push({ name, datatype: c.datatype, value, timestamp: row.ts, ...(historical ? { isHistorical: true } : {}), ...(quality !== undefined ? { quality } : {}) });
    }
    return out;
  }
}
