// Readiness: the agent is ready when every part it depends on says so. Each part registers a
// check; /readyz lists the reasons of those that fail.
export interface ReadinessResult {
  ok: boolean;
  /** Why not ready; shown by /readyz and in logs. */
  reason?: string;
  detail?: Record<string, unknown>;
}

export type ReadinessCheck = () => ReadinessResult;

export class Readiness {
  #checks = new Map<string, ReadinessCheck>();

  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  evaluate(): { ready: boolean; checks: Record<string, ReadinessResult> } {
    const checks: Record<string, ReadinessResult> = {};
    let ready = true;
    for (const [name, check] of this.#checks) {
      let r: ReadinessResult;
      try {
        r = check();
      } catch (err) {
        r = { ok: false, reason: `check failed: ${(err as Error).message}` };
      }
      checks[name] = r;
      ready &&= r.ok;
    }
    return { ready, checks };
  }
}
