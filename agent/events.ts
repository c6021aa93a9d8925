// The seams between the machine pipeline, the outbox/publisher and the command handler.
// Payload bodies are defined (as zod schemas) in agent/contract/; this file only says how
// the parts hand things to each other.

/** What a machine's pipeline publishes; the kind selects the topic `.../{machine}/{kind}`. */
export type EventKind = 'telemetry' | 'state' | 'downtime' | 'oee' | 'job' | 'event';

export interface MachineEvent {
  kind: EventKind;
  /** Machine id (a topic level). */
  machine: string;
  /** Payload schema id with its version, e.g. `lineside.oee/1`. */
  schema: string;
  /** When the fact happened (ms since epoch); becomes the envelope's `ts`. */
  ts: number;
  /** The payload body; the publisher wraps it in the envelope (msgId, seq, sentAt, replay). */
  body: Record<string, unknown>;
}

/** Where the pipeline puts events. The outbox implements it: durable once `publish` returns. */
export interface EventSink {
  publish(events: MachineEvent[]): void;
  /** Make everything published so far durable now rather than at the next group commit. */
  flush?(): void;
}

export type CommandResult =
  | { ok: true; detail?: Record<string, unknown> }
  | { ok: false; code: string; reason: string };

export interface JobOrder {
  orderId: string;
  product: string;
  /** Ideal cycle time of this product (ms). */
  idealCycleTime: number;
  targetQuantity?: number;
}

/** What commands from the MES can ask of the machines; the pipeline implements it. */
export interface CommandTarget {
  startJob(machine: string, job: JobOrder, at: number): CommandResult;
  endJob(machine: string, orderId: string, at: number): CommandResult;
  assignDowntimeReason(machine: string, eventId: string, reasonCode: string, at: number, note?: { text?: string; by?: string }): CommandResult;
}
