// The unit the runtime starts and stops. Constructors do no I/O; start() does.
import { bounded } from './bounded.ts';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Resolve with the promise, or reject after `ms` naming what timed out. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return bounded(p, { ms, what });
}
