// Raw tag values forwarded as telemetry: a tag is published when it changed and its last
// publication is at least `interval` old, and republished once per `interval` when it did not
// change (so a quiet value still shows it is alive). Changes within the interval are folded:
// the latest value goes out when the interval is up. A change of quality is never folded: a tag
// turning bad (a lost link) or good again goes out with the reading that shows it.
import type { Quality, Reading, Value } from '../../drivers/driver.ts';
import { iso } from './downtime.ts';
import { BODY_JSON } from '../events.ts';

export interface TelemetryValue {
  value: Value;
  quality: Quality;
  ts: number;
}

export interface TelemetrySnapshot {
  lastSent: Record<string, number>;
}

/** One tag's state, kept in place from poll to poll (a poll changes fields, allocates no entry). */
interface Slot {
  tag: string;
  /** The latest value; the reading itself, not a copy: drivers hand over fresh readings and never change them. */
  v: TelemetryValue | undefined;
  lastSent: number | undefined;
  sentQuality: Quality | undefined;
  /** `"tag":{"value":` as JSON.stringify writes it, and with the comma before it. */
  key: string;
  nextKey: string;
  /**
   * A name an object orders by its own rules (an array index goes first, `__proto__` is no own
   * key): a message with one is built as the object graph so that it comes out as it always did.
   */
  odd: boolean;
}

/**
 * What follows a value: its quality and timestamp, then the end of the tag's object. Kept for
 * recent timestamps: a poll's readings share a few (one per request).
 */
class Tails {
  #at = new Float64Array(16).fill(Number.NaN);
  #good: string[] = new Array<string>(16).fill('');
  #bad: string[] = new Array<string>(16).fill('');
  #uncertain: string[] = new Array<string>(16).fill('');

  /** Undefined for anything but the three qualities. */
  get(t: number, q: Quality): string | undefined {
    const i = t & 15;
    if (this.#at[i] !== t) {
      // A timestamp iso() cannot write throws here, as it always did.
      const time = iso(t);
      this.#good[i] = `,"quality":"good","ts":"${time}"}`;
      this.#bad[i] = `,"quality":"bad","ts":"${time}"}`;
      this.#uncertain[i] = `,"quality":"uncertain","ts":"${time}"}`;
      this.#at[i] = t;
    }
    return q === 'good' ? this.#good[i] : q === 'bad' ? this.#bad[i] : q === 'uncertain' ? this.#uncertain[i] : undefined;
  }
}

export class TelemetryThrottle {
  #interval: number;
  /**
   * Polls land a few ms early or late; a poll within half a poll of the interval's end is on
   * time. Without it, an interval equal to the poll interval skipped about every third poll.
   */
  #slack: number;
  #tags: Set<string> | undefined;
  #slots = new Map<string, Slot>();
  /** Slots with a value, in tag order; rebuilt only when a new tag appears (a machine's tags rarely change). */
  #order: Slot[] = [];
  /** Slots once sent, in the order they were first sent (the snapshot's order). */
  #sent: Slot[] = [];
  /** The slots due in the current call, first (as many as #take says); kept at its size, so no poll grows it again. */
  #due: Slot[] = [];
  /** The slot of each reading of the last offer: a machine's polls come in the same order, so most need no lookup. */
  #hint: Slot[] = [];
  #tails = new Tails();

  constructor(interval: number, tags: string[] | undefined, pollInterval: number, snapshot?: TelemetrySnapshot) {
    this.#interval = interval;
    this.#slack = Math.min(interval, pollInterval) / 2;
    this.#tags = tags ? new Set(tags) : undefined;
    for (const [tag, at] of Object.entries(snapshot?.lastSent ?? {})) {
      const s = this.#slot(tag);
      s.lastSent = at;
      this.#sent.push(s);
    }
  }

  snapshot(): TelemetrySnapshot {
    // Built fresh, a key at a time: copying a prepared object with a key per tag ({ ...keys }) took
    // 17 ms at 1,000 tags instead of 0.35 (test/unit/pipeline/telemetry.test.ts bounds it).
    const lastSent: Record<string, number> = {};
    for (const s of this.#sent) {
      if (s.tag === '__proto__') Object.defineProperty(lastSent, s.tag, { value: s.lastSent, enumerable: true, writable: true, configurable: true });
      else lastSent[s.tag] = s.lastSent!;
    }
    return { lastSent };
  }

  offer(readings: Reading[]): void {
    let added = false;
    const hint = this.#hint;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      let s = hint[i];
      if (s === undefined || s.tag !== r.tag) {
        if (this.#tags && !this.#tags.has(r.tag)) continue;
        s = this.#slots.get(r.tag) ?? this.#slot(r.tag);
        hint[i] = s;
      }
      if (!s.v) added = true;
      s.v = r;
    }
    if (added) this.#order = [...this.#slots.values()].filter((s) => s.v).sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  /** The link is lost: every tag's value is unknown from `ts` on (and due, its quality changed). */
  lost(ts: number): void {
    for (const s of this.#slots.values()) if (s.v && s.v.quality !== 'bad') s.v = { value: null, quality: 'bad', ts };
  }

  /** The values due at `now`, in tag order; empty when none is due. */
  due(now: number): Array<[tag: string, value: TelemetryValue]> {
    const out: Array<[string, TelemetryValue]> = [];
    for (let i = 0, n = this.#take(now); i < n; i++) out.push([this.#due[i]!.tag, this.#due[i]!.v!]);
    return out;
  }

  /**
   * The telemetry body of the values due at `now`, undefined when none is due. Its JSON is
   * written in one pass, byte for byte what JSON.stringify makes of `{ values }`; `values` itself
   * is only parsed back from it if someone in the process reads it.
   */
  body(now: number): Record<string, unknown> | undefined {
    const count = this.#take(now);
    if (count === 0) return undefined;
    const due = this.#due;
    // Pieces joined once (concatenating them one by one leaves a chain of partial strings to
    // flatten), in an array of the right size from the start rather than grown by copies.
    const parts = new Array<string>(3 * count + 2);
    let n = 0;
    parts[n++] = '{"values":{';
    for (let i = 0; i < count; i++) {
      const s = due[i]!;
      const v = s.v!;
      const value = valueJson(v.value);
      const end = this.#tails.get(v.ts, v.quality);
      if (s.odd || value === undefined || end === undefined) return objectBody(due, count);
      parts[n++] = i === 0 ? s.key : s.nextKey;
      parts[n++] = value;
      parts[n++] = end;
    }
    parts[n++] = '}}';
    return jsonBody(parts.join(''));
  }

  /** Put the slots due at `now` first in #due, count them sent, and return how many. */
  #take(now: number): number {
    const limit = this.#interval - this.#slack;
    let n = 0;
    for (const s of this.#order) {
      const v = s.v!;
      if (s.lastSent !== undefined && now - s.lastSent < limit && s.sentQuality === v.quality) continue;
      if (n < this.#due.length) this.#due[n] = s;
      else this.#due.push(s);
      n++;
      if (s.lastSent === undefined) this.#sent.push(s);
      s.lastSent = now;
      s.sentQuality = v.quality;
    }
    return n;
  }

  #slot(tag: string): Slot {
    const key = `${JSON.stringify(tag)}:{"value":`;
    const s: Slot = { tag, v: undefined, lastSent: undefined, sentQuality: undefined, key, nextKey: `,${key}`, odd: tag === '__proto__' || /^\d+$/.test(tag) };
    this.#slots.set(tag, s);
    return s;
  }
}

/** JSON of a value as JSON.stringify writes it; undefined for anything but the four kinds a Value is. */
function valueJson(v: unknown): string | undefined {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'object':
      return v === null ? 'null' : undefined;
    default:
      return undefined;
  }
}

function jsonBody(json: string): Record<string, unknown> {
  let values: unknown;
  const body = {
    get values(): unknown {
      return (values ??= (JSON.parse(json) as { values: unknown }).values);
    },
  };
  Object.defineProperty(body, BODY_JSON, { value: json });
  return body;
}

/** The body as an object graph, for the outbox to stringify (the way every body once was). */
function objectBody(due: readonly Slot[], count: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const v = due[i]!.v!;
    out[due[i]!.tag] = { value: v.value, quality: v.quality, ts: iso(v.ts) };
  }
  return { values: out };
}
