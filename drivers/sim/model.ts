// The simulated machine shared by the `sim` driver and the OPC UA / Modbus simulators.
// Pure and deterministic: state is a function of the seed and the virtual time advanced to,
// whatever the step sizes, because every happening is scheduled at an absolute time.
import { Random } from './random.ts';

export const SIM_MODE = { stopped: 0, running: 1, changeover: 2, fault: 3 } as const;
export type SimMode = (typeof SIM_MODE)[keyof typeof SIM_MODE];

export interface SimSettings {
  seed: number;
  /** Actual cycle time at full speed (ms). */
  cycleTime: number;
  rejectRate: number;
  faultsPerHour: number;
  meanFaultDuration: number;
  changeoversPerHour: number;
  microStopsPerHour: number;
  counterWidth: 16 | 32;
}

export interface SimSnapshot {
  running: boolean;
  partCount: number;
  rejectCount: number;
  faultCode: number;
  /** Parts per minute, 0 when not running. */
  speed: number;
  mode: SimMode;
}

/** Fault codes the simulated PLC raises; the demo config maps them to reasons. */
export const SIM_FAULT_CODES = [101, 102, 205, 310] as const;

const HOUR = 3_600_000;
const MICRO_STOP_MEAN = 25_000;
const CHANGEOVER_MEAN = 10 * 60_000;

type Happening = 'part' | 'fault' | 'microStop' | 'changeover' | 'resume';

export class SimMachine {
  readonly settings: SimSettings;
  #rng: Random;
  #t: number;
  #mode: SimMode = SIM_MODE.running;
  #faultCode = 0;
  #parts = 0;
  #rejects = 0;
  #speedNoise = 1;
  #next: Record<Happening, number>;

  constructor(settings: SimSettings, startMs: number) {
    this.settings = settings;
    this.#rng = new Random(settings.seed);
    this.#t = startMs;
    this.#next = {
      part: startMs + this.#cycle(),
      fault: startMs + this.#rng.exponential(HOUR / settings.faultsPerHour),
      microStop: startMs + this.#rng.exponential(HOUR / settings.microStopsPerHour),
      changeover: startMs + this.#rng.exponential(HOUR / settings.changeoversPerHour),
      resume: Number.POSITIVE_INFINITY,
    };
  }

  get time(): number {
    return this.#t;
  }

  /** Advance virtual time to `t` (ms), applying every happening due on the way. */
  advance(t: number): SimSnapshot {
    for (;;) {
      const [what, at] = this.#earliest();
      if (at > t) break;
      this.#t = at;
      this.#apply(what);
    }
    this.#t = Math.max(this.#t, t);
    return this.snapshot();
  }

  snapshot(): SimSnapshot {
    const mask = this.settings.counterWidth === 16 ? 0xffff : 0xffffffff;
    const running = this.#mode === SIM_MODE.running;
    return {
      running,
      partCount: this.#parts & mask,
      rejectCount: this.#rejects & mask,
      faultCode: this.#faultCode,
      speed: running ? Math.round((60_000 / this.settings.cycleTime) * this.#speedNoise * 100) / 100 : 0,
      mode: this.#mode,
    };
  }

  /** Force a fault now (tests, demo). */
  injectFault(code: number, durationMs: number): void {
    this.#enterStop(SIM_MODE.fault, durationMs);
    this.#faultCode = code;
  }

  #earliest(): [Happening, number] {
    let best: Happening = 'part';
    for (const k of Object.keys(this.#next) as Happening[]) if (this.#next[k] < this.#next[best]) best = k;
    return [best, this.#next[best]];
  }

  #cycle(): number {
    // Real machines wobble around their cycle time; ±5 % keeps performance below but near 100 %.
    this.#speedNoise = 0.95 + this.#rng.next() * 0.05;
    return this.settings.cycleTime / this.#speedNoise;
  }

  #apply(what: Happening): void {
    const s = this.settings;
    switch (what) {
      case 'part':
        this.#parts++;
        if (this.#rng.next() < s.rejectRate) this.#rejects++;
        this.#next.part = this.#t + this.#cycle();
        return;
      case 'fault':
        const code = SIM_FAULT_CODES[this.#rng.int(0, SIM_FAULT_CODES.length - 1)]!;
        this.#enterStop(SIM_MODE.fault, this.#rng.exponential(s.meanFaultDuration));
        this.#faultCode = code;
        this.#next.fault = Number.POSITIVE_INFINITY;
        return;
      case 'microStop':
        this.#enterStop(SIM_MODE.stopped, this.#rng.exponential(MICRO_STOP_MEAN));
        this.#next.microStop = Number.POSITIVE_INFINITY;
        return;
      case 'changeover':
        this.#enterStop(SIM_MODE.changeover, CHANGEOVER_MEAN * (0.5 + this.#rng.next()));
        this.#next.changeover = Number.POSITIVE_INFINITY;
        return;
      case 'resume':
        this.#mode = SIM_MODE.running;
        this.#faultCode = 0;
        this.#next.resume = Number.POSITIVE_INFINITY;
        this.#next.part = this.#t + this.#cycle();
        this.#next.fault = this.#t + this.#rng.exponential(HOUR / s.faultsPerHour);
        this.#next.microStop = this.#t + this.#rng.exponential(HOUR / s.microStopsPerHour);
        this.#next.changeover = this.#t + this.#rng.exponential(HOUR / s.changeoversPerHour);
        return;
    }
  }

  #enterStop(mode: SimMode, durationMs: number): void {
    this.#mode = mode;
    this.#faultCode = 0;
    this.#next.part = Number.POSITIVE_INFINITY;
    this.#next.fault = Number.POSITIVE_INFINITY;
    this.#next.microStop = Number.POSITIVE_INFINITY;
    this.#next.changeover = Number.POSITIVE_INFINITY;
    this.#next.resume = this.#t + Math.max(1000, durationMs);
  }
}
