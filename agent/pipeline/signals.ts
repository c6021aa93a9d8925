// From configured tags to the signals OEE needs. Bad-quality readings do not change a signal:
// a value the device could not read is no evidence of anything.
import type { SignalsConfig } from '../../config/schema/index.ts';
import type { Reading, Value } from '../../drivers/driver.ts';

export type BoolSignal = 'running' | 'changeover' | 'plannedStop';
export type CounterSignal = 'partCount' | 'rejectCount' | 'goodCount';
export type SignalName = BoolSignal | CounterSignal | 'faultCode';

export const BOOL_SIGNALS: readonly BoolSignal[] = ['running', 'changeover', 'plannedStop'];
export const COUNTER_SIGNALS: readonly CounterSignal[] = ['partCount', 'rejectCount', 'goodCount'];

export interface SignalValues {
  running?: boolean;
  changeover?: boolean;
  plannedStop?: boolean;
  faultCode?: number;
}

export interface CounterReading {
  signal: CounterSignal;
  value: number;
  ts: number;
}

export interface MappedReadings {
  /** At least one good reading arrived (the link is alive and the data fresh). */
  good: boolean;
  /** Latest timestamp among the readings. */
  ts: number;
  counters: CounterReading[];
}

export function truthy(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  return false;
}

function boolOf(def: { equals?: number | boolean | string; invert: boolean }, v: Value): boolean {
  const on = def.equals === undefined ? truthy(v) : v === def.equals || (v !== null && String(v) === String(def.equals));
  return def.invert ? !on : on;
}

function numberOf(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

export class SignalMapper {
  #byTag = new Map<string, SignalName[]>();
  #cfg: SignalsConfig;

  constructor(cfg: SignalsConfig) {
    this.#cfg = cfg;
    for (const [name, def] of Object.entries(cfg) as Array<[SignalName, { tag: string } | undefined]>) {
      if (!def) continue;
      const list = this.#byTag.get(def.tag) ?? [];
      list.push(name);
      this.#byTag.set(def.tag, list);
    }
  }

  /** The tag carrying a signal, if configured. */
  tagOf(signal: SignalName): string | undefined {
    return this.#cfg[signal]?.tag;
  }

  get countsRunning(): boolean {
    return this.#cfg.running === undefined;
  }

  /** Apply readings to `values` (mutated) and return the counter readings among them. */
  apply(readings: Reading[], values: SignalValues): MappedReadings {
    const out: MappedReadings = { good: false, ts: Number.NEGATIVE_INFINITY, counters: [] };
    for (const r of readings) {
      if (r.ts > out.ts) out.ts = r.ts;
      if (r.quality !== 'good') continue;
      out.good = true;
      const names = this.#byTag.get(r.tag);
      if (!names) continue;
      for (const name of names) {
        switch (name) {
          case 'running':
          case 'changeover':
          case 'plannedStop':
            values[name] = boolOf(this.#cfg[name]!, r.value);
            break;
          case 'faultCode': {
            const n = numberOf(r.value);
            if (Number.isFinite(n)) values.faultCode = Math.trunc(n);
            break;
          }
          default:
            out.counters.push({ signal: name, value: numberOf(r.value), ts: r.ts });
        }
      }
    }
    return out;
  }
}
