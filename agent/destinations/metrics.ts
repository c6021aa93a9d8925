// Prometheus metrics per destination (label `destination`), read at scrape time from each
// destination's stats(): whether it delivers, how much it still has to deliver, how fast, and
// what it refused for good.
import type { Registry } from 'prom-client';
import { mirrorCounter, mirrorGauge } from '../http/mirror.ts';
import type { Destination, DestinationStats } from './destination.ts';

export function registerDestinationMetrics(registry: Registry, destinations: () => readonly Destination[]): void {
  const each = (value: (s: DestinationStats) => number | undefined) => (emit: (l: Record<string, string>, v: number) => void) => {
    for (const d of destinations()) {
      const s = d.stats();
      const v = value(s);
      if (v !== undefined) emit({ destination: s.name, type: s.type }, v);
    }
  };
  const labelNames = ['destination', 'type'];
  mirrorGauge(registry, { name: 'lineside_destination_up', help: '1 when the destination delivers (broker connected, receiver answering).', labelNames, read: each((s) => (s.up ? 1 : 0)) });
  mirrorGauge(registry, { name: 'lineside_destination_depth', help: 'Messages this destination wants and does not have yet.', labelNames, read: each((s) => s.depth) });
  mirrorGauge(registry, { name: 'lineside_destination_oldest_age_seconds', help: 'Age of the oldest message this destination still wants.', labelNames, read: each((s) => s.oldestAgeMs / 1000) });
  mirrorGauge(registry, { name: 'lineside_destination_rate', help: 'Messages confirmed per second over the last 10 s.', labelNames, read: each((s) => s.rate) });
  mirrorGauge(registry, { name: 'lineside_destination_eta_seconds', help: 'Time to deliver what waits at the current rate (absent without a rate).', labelNames, read: each((s) => s.etaSeconds) });
  mirrorGauge(registry, { name: 'lineside_destination_dead_letters', help: 'Messages the destination refused for good, kept for `lineside dead-letters resend`.', labelNames, read: each((s) => s.deadLetters) });
  mirrorGauge(registry, { name: 'lineside_destination_last_error_timestamp_seconds', help: 'When the destination last failed (absent when it never did).', labelNames, read: each((s) => (s.lastError ? Date.parse(s.lastError.at) / 1000 : undefined)) });
  mirrorCounter(registry, { name: 'lineside_destination_sent_total', help: 'Messages handed to the destination (resends included).', labelNames, read: each((s) => s.sent) });
  mirrorCounter(registry, { name: 'lineside_destination_acked_total', help: 'Messages the destination confirmed.', labelNames, read: each((s) => s.acked) });
}

/** /readyz: a destination that cannot deliver, or falls behind past the outbox thresholds, is a reason. */
export function destinationReadiness(d: Destination, limits: { maxOutboxDepth: number; maxOutboxAge: number }) {
  return () => {
    const s = d.stats();
    const detail = { depth: s.depth, oldestAgeSeconds: Math.round(s.oldestAgeMs / 1000), rate: Math.round(s.rate), ...(s.etaSeconds !== undefined ? { etaSeconds: s.etaSeconds } : {}), deadLetters: s.deadLetters, ...(s.lastError ? { lastError: s.lastError.message, lastErrorAt: s.lastError.at } : {}) };
    if (!s.up) return { ok: false, reason: `${s.name} not delivering${s.lastError ? ` (${s.lastError.message})` : ''}; ${s.depth} messages waiting`, detail };
    if (s.depth > limits.maxOutboxDepth) return { ok: false, reason: `${s.name} has ${s.depth} messages waiting (limit ${limits.maxOutboxDepth})`, detail };
    if (s.depth > 0 && s.oldestAgeMs > limits.maxOutboxAge) return { ok: false, reason: `${s.name}'s oldest waiting message is ${Math.round(s.oldestAgeMs / 1000)} s old (limit ${Math.round(limits.maxOutboxAge / 1000)} s)`, detail };
    return { ok: true, detail };
  };
}
