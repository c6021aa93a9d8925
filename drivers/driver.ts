// The contract between the runtime and device drivers. Drivers only talk to devices:
// they turn tags into Readings and know nothing of OEE or MQTT.
import type { Logger } from 'pino';
import type { MachineConfig } from '../config/schema/index.ts';

export type Quality = 'good' | 'bad' | 'uncertain';
export type Value = number | boolean | string | null;

export interface Reading {
  tag: string;
  value: Value;
  quality: Quality;
  /**
   * When the value took effect (ms since epoch): the device's own timestamp where the driver can
   * trust the device's clock (never later than receipt), else when the agent received it.
   */
  ts: number;
  /** The device's timestamp as sent, also when `ts` could not use it. */
  sourceTs?: number;
}

export interface DriverContext {
  /** Child logger that names the machine and driver. */
  log: Logger;
  /** The agent's clock (ms since epoch); injected so tests and replays control time. */
  now(): number;
  /** Report-by-exception path (OPC UA monitored items) and asynchronous readings. */
  emit(readings: Reading[]): void;
  /**
   * A subscribing driver calls this when it finds its link lost on its own (keep-alive
   * silence, session closed); the runtime then closes it and reconnects with back-off.
   */
  lost(err: Error): void;
  /** Folder for this driver's persistent files (certificates, PKI), under the agent's data dir. */
  dataDir: string;
  /** Who the agent is, for what a driver shows the device about itself (an OPC UA client certificate). */
  agent?: AgentIdentity;
}

export interface AgentIdentity {
  id: string;
  location?: { enterprise: string; site: string; area: string; line: string };
}

/**
 * A failure only the engineer can fix (trust a certificate, change a security setting, correct a
 * port). The runtime logs each distinct one at warn, with `fields`, even in the middle of an outage
 * that was logged already: a PLC that was off and comes back with a new certificate must say so.
 */
export class ActionRequiredError extends Error {
  readonly fields: Record<string, unknown>;
  constructor(message: string, fields: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ActionRequiredError';
    this.fields = fields;
  }
}

export interface Driver {
  /** Open the link. Idempotent and safe to retry; throws on failure (the runtime backs off). */
  connect(ctx: DriverContext): Promise<void>;
  /** Polled drivers: read every tag once. Per-tag failures come back as bad-quality readings; a throw means the link is lost. */
  read?(): Promise<Reading[]>;
  /** Report-by-exception drivers: start delivering readings through ctx.emit. */
  subscribe?(): Promise<void>;
  /** Release everything. Safe after a failed connect and when called twice. */
  close(): Promise<void>;
  /**
   * Whether the device accepts connections at all, by the cheapest means (a TCP connect): lets the
   * runtime retry as soon as a restarted device is back instead of at its next back-off slot.
   */
  reachable?(signal: AbortSignal): Promise<boolean>;
}

/** A driver module exports a factory; the constructor it calls does no I/O. */
export type DriverFactory = (machine: MachineConfig) => Driver;
