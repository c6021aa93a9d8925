// DCMD → the agent's one command path. A host writes a JSON command body (the same as on the MQTT
// contract's `cmd/{name}` topics) to the device metric `Command/{name}`; it goes through the
// CommandHandler (rate limit, schema validation, exactly-once by commandId) and the reply comes
// back as the metric `Command/{name}/Reply`. Nothing else is writable: no metric ever reaches a PLC.
import { createHash } from 'node:crypto';
import type { CommandReply } from '../../contract/commands.ts';
import { COMMAND_NAMES, commandMetric, type SpCommandName } from './metric-map.ts';
import { decodePayload, type DecodedPayload } from './payload.ts';

export interface CommandPort {
  handle(machine: string, name: string, payload: Uint8Array): CommandReply;
}

export type DcmdOutcome = { name: SpCommandName; reply: CommandReply } | { ignored: string };

const BY_METRIC = new Map<string, SpCommandName>(COMMAND_NAMES.map((n) => [commandMetric(n), n]));

/**
 * A command without a commandId gets one derived from what a redelivery repeats exactly: device,
 * metric, value and the timestamps of the DCMD. The same DCMD delivered twice is applied once.
 */
export function derivedCommandId(device: string, metric: string, value: string, payloadTs: number | undefined, metricTs: number | undefined): string {
  const h = createHash('sha256').update(JSON.stringify([device, metric, value, payloadTs ?? null, metricTs ?? null])).digest('hex');
  return `spb-${h.slice(0, 32)}`;
}

/** Every metric of one DCMD: commands applied (with their replies) and what was ignored and why. */
export function runDcmd(device: string, p: DecodedPayload, commands: CommandPort): DcmdOutcome[] {
  const out: DcmdOutcome[] = [];
  for (const m of p.metrics) {
    const name = m.name === undefined ? undefined : BY_METRIC.get(m.name);
    if (!name) {
      out.push({ ignored: `metric "${String(m.name ?? m.alias).slice(0, 64)}" is not a command metric (${[...BY_METRIC.keys()].join(', ')})` });
      continue;
    }
    if (typeof m.value !== 'string') {
      out.push({ ignored: `${m.name}: expected a String value holding the JSON command` });
      continue;
    }
    let body = m.value;
    try {
      const json = JSON.parse(body) as unknown;
      if (typeof json === 'object' && json !== null && !Array.isArray(json) && !('commandId' in json)) {
        body = JSON.stringify({ commandId: derivedCommandId(device, m.name!, m.value, p.timestamp, m.timestamp), ...json });
      }
    } catch {
      // Not JSON: the handler answers LS_CMD_BAD_JSON like on the MQTT contract.
    }
    out.push({ name, reply: commands.handle(device, name, Buffer.from(body, 'utf8')) });
  }
  return out;
}

export const REBIRTH_METRIC = 'Node Control/Rebirth';

/** What an NCMD or DCMD asks for: a rebirth, replies to publish (as the device's DDATA), and what was ignored. */
export interface InboundCommand {
  rebirth: boolean;
  device?: string;
  replies: Array<{ name: SpCommandName; reply: CommandReply }>;
  ignored: string[];
}

/** An NCMD or DCMD of this node, read; undefined for any other topic, or a retained command (stale by definition). */
export function readCommand(verb: 'NCMD' | 'DCMD', device: string | undefined, payload: Uint8Array, devices: ReadonlySet<string>, commands: CommandPort): InboundCommand {
  const out: InboundCommand = { rebirth: false, replies: [], ignored: [], ...(device !== undefined ? { device } : {}) };
  let decoded: DecodedPayload;
  try {
    decoded = decodePayload(payload);
  } catch (err) {
    out.ignored.push(`${verb} payload is not Sparkplug B: ${(err as Error).message.slice(0, 200)}`);
    return out;
  }
  if (verb === 'NCMD') {
    for (const m of decoded.metrics) {
      if (m.name === REBIRTH_METRIC && m.value === true) out.rebirth = true;
      else out.ignored.push(`NCMD metric "${String(m.name ?? m.alias).slice(0, 64)}" is not writable (only ${REBIRTH_METRIC} = true)`);
    }
    return out;
  }
  if (device === undefined || !devices.has(device)) {
    out.ignored.push(`DCMD for unknown device "${String(device).slice(0, 64)}"`);
    return out;
  }
  for (const r of runDcmd(device, decoded, commands)) {
    if ('ignored' in r) out.ignored.push(r.ignored);
    else out.replies.push(r);
  }
  return out;
}

/**
 * Ignored commands come from outside and may come in floods: at most one log line a period,
 * counting the ones it did not log.
 */
export class ThrottledLog {
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #write: (fields: Record<string, unknown>) => void;
  #loggedAt = Number.NEGATIVE_INFINITY;
  #unlogged = 0;

  constructor(everyMs: number, now: () => number, write: (fields: Record<string, unknown>) => void) {
    this.#everyMs = everyMs;
    this.#now = now;
    this.#write = write;
  }

  note(fields: Record<string, unknown>): void {
    const now = this.#now();
    if (now - this.#loggedAt < this.#everyMs) {
      this.#unlogged++;
      return;
    }
    this.#write({ ...fields, ignoredMeanwhile: this.#unlogged });
    this.#loggedAt = now;
    this.#unlogged = 0;
  }
}
