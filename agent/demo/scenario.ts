// Scripted faults: on top of the simulated machines' own random faults and micro-stops, the
// demo raises a fault on one machine after another at a fixed wall-time cadence. It makes
// sure there is a downtime to see in the first seconds, whatever the seeds and the speed,
// and gives the demo test an event it can count on rather than hope for.
import type { SimMachine } from '../../drivers/sim/model.ts';

export interface ScriptedFault {
  machine: string;
  code: number;
  /** Length on the machines' clock (ms). */
  durationMs: number;
}

export interface FaultScriptOptions {
  /** The simulated machine behind each demo machine id, in the order faults rotate through. */
  machines: Array<{ id: string; model: SimMachine; afterInject?: () => void }>;
  /** The machines' clock. */
  now: () => number;
  speed: number;
  /** Wall time before the first fault and between faults (ms). */
  firstMs?: number;
  everyMs?: number;
  onFault?: (f: ScriptedFault) => void;
}

const CODES = [101, 102, 205, 310];

export class FaultScript {
  #o: FaultScriptOptions;
  #timer: NodeJS.Timeout | undefined;
  #n = 0;

  constructor(o: FaultScriptOptions) {
    this.#o = o;
  }

  start(): void {
    const { firstMs = 4000, everyMs = 8000 } = this.#o;
    this.#timer = setTimeout(() => {
      this.inject();
      this.#timer = setInterval(() => this.inject(), everyMs);
    }, firstMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Raise the next scripted fault now: about 4 s of wall time, at least 20 s of machine time. */
  inject(): ScriptedFault {
    const { machines, now, speed } = this.#o;
    const target = machines[this.#n % machines.length]!;
    const fault: ScriptedFault = { machine: target.id, code: CODES[this.#n % CODES.length]!, durationMs: Math.max(20_000, 4000 * speed) };
    this.#n++;
    // Bring the model to the present first, or the fault would start where it was last read.
    target.model.advance(now());
    target.model.injectFault(fault.code, fault.durationMs);
    target.afterInject?.();
    this.#o.onFault?.(fault);
    return fault;
  }
}
