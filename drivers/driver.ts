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
  /** When the agent received the value (ms since epoch). */
  ts: number;
  /** When the device says the value was sampled, if it says. */
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
}

/** A driver module exports a factory; the constructor it calls does no I/O. */
export type DriverFactory = (machine: MachineConfig) => Driver;
