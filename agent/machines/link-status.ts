// What a machine runner reports: the link's state and its readings. Types only, so the pipeline,
// metrics and HTTP layers can depend on them without pulling in the runner.
import type { Reading } from '../../drivers/driver.ts';

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface LinkStatus {
  state: LinkState;
  /** When the state was entered (ms since epoch). */
  since: number;
  lastError?: string;
  reconnects: number;
  polls: number;
  pollErrors: number;
  /** Duration of the last successful poll (ms). */
  lastPollMs?: number;
  /** Poll ticks skipped because a read took longer than the interval. */
  overruns: number;
}

export interface MachineSink {
  readings(machine: string, readings: Reading[]): void;
  link(machine: string, status: Readonly<LinkStatus>): void;
}
