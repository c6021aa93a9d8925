// The seams between the machine pipeline, the outbox/publisher and the command handler.
// Payload bodies are defined (as zod schemas) in agent/contract/; this file only says how
// the parts hand things to each other.

/** What a machine's pipeline publishes; the kind selects the topic `.../{machine}/{kind}`. */
export type EventKind = 'telemetry' | 'state' | 'downtime' | 'oee' | 'job' | 'event' | 'audit';

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

/**
 * Where a body may carry its own JSON text, made with it (non-enumerable: the body still reads as
 * its plain fields). The outbox stores that text instead of stringifying the body again; telemetry,
 * a key per tag, writes it in one pass (agent/pipeline/telemetry.ts).
 */
export const BODY_JSON = Symbol('lineside.body-json');

/** Where the pipeline puts events. The outbox implements it: durable with its next group commit. */
export interface EventSink {
  /**
   * `state` is the emitter's state after these events, serialised by key (a machine id). It
   * commits in the same transaction as the events (the transactional outbox), so a restart
   * resumes from exactly what was published and never derives a published fact a second time.
   */
  publish(events: MachineEvent[], state?: ReadonlyMap<string, string>): void;
  /** Make everything published so far durable now rather than at the next group commit. */
  flush?(): void;
}

/** A sink that also gives back the state last committed with its events. */
export interface TransactionalSink extends EventSink {
  loadState(): Map<string, string>;
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
