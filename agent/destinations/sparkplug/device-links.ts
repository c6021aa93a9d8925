// Which machines may be Sparkplug devices now: a machine is alive unless its driver reports its
// link `disconnected` (or `stopped`), and alive again only once it is `connected` — a driver that is
// merely `connecting` (at start, or retrying) does not flap the device between DBIRTH and DDEATH.

/** Machine link states by machine id (Fleet.status()). */
export type LinkPort = () => Record<string, { state: string }>;

const DOWN = new Set(['disconnected', 'stopped']);

export class DeviceLinks {
  readonly #machines: readonly string[];
  readonly #alive = new Map<string, boolean>();
  #port: LinkPort | undefined;

  constructor(machines: readonly string[]) {
    this.#machines = machines;
  }

  set port(p: LinkPort) {
    this.#port = p;
  }

  alive(machine: string): boolean {
    let alive = this.#alive.get(machine);
    if (alive === undefined) {
      alive = !DOWN.has(this.#port?.()[machine]?.state ?? '');
      this.#alive.set(machine, alive);
    }
    return alive;
  }

  /** Machines whose link went down (false) or came back (true) since the last look. */
  changes(): Array<[machine: string, up: boolean]> {
    const links = this.#port?.();
    if (!links) return [];
    const out: Array<[string, boolean]> = [];
    for (const m of this.#machines) {
      const st = links[m]?.state ?? '';
      const was = this.alive(m);
      if (was && DOWN.has(st)) out.push([m, false]);
      else if (!was && st === 'connected') out.push([m, true]);
    }
    for (const [m, up] of out) this.#alive.set(m, up);
    return out;
  }
}
