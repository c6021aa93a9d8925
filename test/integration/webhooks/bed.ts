// The agent side of the webhook tests, in-process: a real outbox file and real webhook
// destinations built from config the way store-and-forward.ts builds them, fed with events.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { webhookSchema, type WebhookConfig } from '../../../config/schema/webhooks.ts';
import type { EventKind, MachineEvent } from '../../../agent/events.ts';
import { Outbox } from '../../../agent/outbox/outbox.ts';
import { WebhookDestination, webhookSpec } from '../../../agent/destinations/webhook/webhook.ts';
import { captureLog, type CapturedLog } from '../../helpers/capture-log.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { makeReceiverPki, Receiver } from './receiver.ts';

export const AGENT_ID = 'edge-1';

export function newSecret(bytes = 32): string {
  return `whsec_${randomBytes(bytes).toString('base64')}`;
}

/** A receiver behind HTTPS with a certificate of its own CA, and a secret it verifies: `pki.ca` is what an agent trusts. Closed after the test. */
export async function httpsReceiver(): Promise<{ dir: string; pki: { ca: string; cert: string; key: string }; secret: string; receiver: Receiver }> {
  const dir = tempDir();
  const pki = makeReceiverPki(dir);
  const secret = newSecret();
  const receiver = await Receiver.startHttps(pki, [secret]);
  after(() => receiver.close());
  return { dir, pki, secret, receiver };
}

export interface Bed {
  outbox: Outbox;
  webhooks: WebhookDestination[];
  cap: CapturedLog;
  configs: WebhookConfig[];
  /** Append events and commit them now; resolves with their seqs. */
  emit(events: MachineEvent[]): number[];
  stop(): Promise<void>;
}

export function ev(i: number, kind: EventKind = 'telemetry', machine = 'm1'): MachineEvent {
  return { kind, machine, schema: `lineside.${kind}/1`, ts: Date.now(), body: { i } };
}

/** Starts an outbox in `dataDir` with the given webhooks (config input, defaults applied by the schema). */
export async function startBed(dataDir: string, webhooks: unknown[], o: { commitInterval?: number } = {}): Promise<Bed> {
  const cap = captureLog('info');
  const configs = webhooks.map((w) => webhookSchema.parse(w));
  const outbox = new Outbox({ dataDir, synchronous: 'normal', commitInterval: o.commitInterval ?? 10, maxBytes: 1 << 30, maxAge: 7 * 86_400_000, log: cap.log, destinations: configs.map(webhookSpec) });
  await outbox.start();
  const dests = configs.map((config) => new WebhookDestination({ config, agentId: AGENT_ID, outbox, log: cap.log }));
  for (const d of dests) await d.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const d of dests) await d.stop();
    await outbox.stop();
  };
  after(stop);
  return {
    outbox,
    webhooks: dests,
    cap,
    configs,
    emit(events) {
      const before = outbox.lastSeq;
      outbox.append(events);
      outbox.flush();
      return Array.from({ length: outbox.lastSeq - before }, (_, k) => before + 1 + k);
    },
    stop,
  };
}

/** Emits `rate` events/s (kinds and machines from `make`) until stopped; the seqs committed so far. */
export function produce(bed: Bed, rate: number, make: (i: number) => MachineEvent): { seqs: number[]; commitTimes: Map<number, number>; stop: () => void } {
  const seqs: number[] = [];
  const commitTimes = new Map<number, number>();
  let i = 0;
  let credit = 0;
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    credit += ((now - last) * rate) / 1000;
    last = now;
    const batch: MachineEvent[] = [];
    for (; credit >= 1; credit--) batch.push(make(i++));
    if (!batch.length) return;
    for (const s of bed.emit(batch)) {
      seqs.push(s);
      commitTimes.set(s, Date.now());
    }
  }, 10);
  return { seqs, commitTimes, stop: () => clearInterval(timer) };
}

/** Resolves once `cond` holds (checked every 20 ms); rejects after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
