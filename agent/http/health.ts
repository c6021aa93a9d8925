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

export interface OutboxLimits {
  maxOutboxDepth: number;
  /** ms */
  maxOutboxAge: number;
}

/** Not ready when the outbox backs up: the way out is stuck even if the broker says connected. */
export function outboxCheck(stats: () => { depth: number; oldestAgeMs: number }, limits: OutboxLimits): ReadinessCheck {
  return () => {
    const { depth, oldestAgeMs } = stats();
    const detail = { depth, oldestAgeSeconds: Math.round(oldestAgeMs / 1000), maxDepth: limits.maxOutboxDepth, maxAgeSeconds: Math.round(limits.maxOutboxAge / 1000) };
    if (depth > limits.maxOutboxDepth) return { ok: false, reason: `outbox holds ${depth} messages (limit ${limits.maxOutboxDepth})`, detail };
    if (depth > 0 && oldestAgeMs > limits.maxOutboxAge) return { ok: false, reason: `oldest outbox message is ${Math.round(oldestAgeMs / 1000)} s old (limit ${Math.round(limits.maxOutboxAge / 1000)} s)`, detail };
    return { ok: true, detail };
  };
}
