// A webhook destination: takes rows through its own outbox cursor (`webhook:{name}`) and POSTs
// each one's envelope — the very payload MQTT carries — signed per Standard Webhooks. Live rows
// go at once; a backlog drains oldest first at `replayRate` with `replay: true`; at most
// `concurrency` requests are in flight.
//
// Sessions, as the MQTT publisher has connections: a session begins when the receiver is known
// to answer, and everything committed and not delivered by then is its backlog. The first
// failed attempt ends the session; from then on only that message (the head) is tried again,
// with back-off, so a dead receiver gets one request per back-off step instead of a flood. When
// the head is taken (or refused for good), a new session begins: what piled up meanwhile is the
// paced backlog and new messages go live at once.
import { redactUrlCredentials } from '../../../config/redact.ts';
import type { WebhookConfig } from '../../../config/schema/webhooks.ts';
import { encodeEnvelope, msgId } from '../../contract/envelope.ts';
import { E } from '../../errors.ts';
import { Incidents, type Incident } from '../../lifecycle/incident.ts';
import { Coalesced } from '../../lifecycle/coalesced.ts';
import type { Logger } from '../../log.ts';
import type { DestinationCursor } from '../../outbox/cursor.ts';
import type { DestinationSpec, Outbox, OutboxRow } from '../../outbox/outbox.ts';
import { ReplayPacer } from '../replay-pacer.ts';
import { VERSION } from '../../version.ts';
import { backlogFigures, RateMeter, type Destination, type DestinationStats } from '../destination.ts';
import { HttpPoster, type Outcome } from './http-post.ts';
import { RetrySchedule } from './retry-policy.ts';
import { decodeWebhookSecret, webhookHeaders } from './signature.ts';

export type WebhookOutboxPort = Pick<Outbox, 'cursor' | 'acked' | 'deadLetter' | 'onCommit' | 'oldestAgeMs' | 'deadLetterCounts'>;

/** The outbox cursor of a configured webhook. */
export function webhookDestinationName(name: string): string {
  return `webhook:${name}`;
}

/** What the outbox needs to know of a webhook: its cursor, its ordering, its filter. */
export function webhookSpec(w: Pick<WebhookConfig, 'name' | 'ordering' | 'kinds' | 'machines'>): DestinationSpec {
  const filter = w.kinds || w.machines ? { ...(w.kinds ? { kinds: w.kinds } : {}), ...(w.machines ? { machines: w.machines } : {}) } : undefined;
  return { name: webhookDestinationName(w.name), strict: w.ordering === 'strict', ...(filter ? { filter } : {}) };
}

export interface WebhookOptions {
  config: WebhookConfig;
  agentId: string;
  outbox: WebhookOutboxPort;
  log: Logger;
  now?: () => number;
  incidents?: Incidents;
  /** Jitter source of the back-off; injectable for tests. */
  random?: () => number;
}

/** Refusals (dead letters) are logged at most this often per destination. */
const REFUSAL_LOG_EVERY_MS = 60_000;

interface Attempt {
  row: OutboxRow;
  replay: boolean;
  /** The session it was taken in. */
  session: number;
}

export class WebhookDestination implements Destination {
  readonly name: string;
  readonly #o: WebhookOptions;
  readonly #cfg: WebhookConfig;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #url: string;
  readonly #poster: HttpPoster;
  readonly #keys: Buffer[];
  readonly #headers: Record<string, string>;
  readonly #pacer: ReplayPacer;
  readonly #meter: RateMeter;
  readonly #schedule: RetrySchedule;
  readonly #failing: Incident;
  readonly #pumpFailures: Incident;
  readonly #pending = new Set<Promise<void>>();
  #abort = new AbortController();
  #running = false;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inflight = 0;
  #session = 0;
  /** While the receiver fails: the one message tried again, and when. */
  #probe: Attempt | undefined;
  #probeAt = 0;
  #probing = false;
  #sent = 0;
  #acked = 0;
  #lastError: { at: string; message: string } | undefined;
  #refusalLoggedAt = Number.NEGATIVE_INFINITY;
  #refusalsUnlogged = 0;

  constructor(opts: WebhookOptions) {
    this.#o = opts;
    this.#cfg = opts.config;
    this.name = webhookDestinationName(opts.config.name);
    this.#log = opts.log.child({ component: 'webhook', destination: this.name });
    this.#now = opts.now ?? Date.now;
    this.#url = redactUrlCredentials(opts.config.url);
    const c = opts.config;
    this.#poster = new HttpPoster({ url: c.url, timeoutMs: c.timeout, maxSockets: c.concurrency, ...(c.tls ? { tls: c.tls } : {}) });
    // The schema validated every secret; a bad one here is a bug, and it must not sign with garbage.
    this.#keys = (c.secrets ?? []).map((s) => decodeWebhookSecret(s) ?? failSecret(this.name));
    // Configured headers may replace the user agent, not what the agent itself must set.
    this.#headers = { 'user-agent': `lineside/${VERSION}`, ...lowerKeys(c.headers), 'content-type': 'application/json', ...authHeader(c.auth) };
    this.#pacer = new ReplayPacer(c.replayRate, Math.max(c.concurrency, Math.ceil(c.replayRate / 10)), this.#log, this.#now);
    this.#meter = new RateMeter(this.#now);
    this.#schedule = new RetrySchedule({ minMs: c.retry.min, maxMs: c.retry.max, ...(opts.random ? { random: opts.random } : {}) });
    const incidents = opts.incidents ?? new Incidents(this.#log, this.#now);
    this.#failing = incidents.get({ name: `${this.name}`, failed: `webhook receiver ${this.#url} does not take deliveries`, meanwhile: 'retrying the oldest message with back-off; the rest waits in the outbox', code: E.LS_WEBHOOK_FAILING, level: 'warn' });
    this.#pumpFailures = incidents.get({ name: `${this.name}:pump`, failed: 'taking webhook messages from the outbox failed', meanwhile: 'retrying on the next commit or answer' });
  }

  async start(): Promise<void> {
    this.#running = true;
    this.#abort = new AbortController();
    if (this.#cfg.tls?.insecure) this.#log.warn({ code: E.LS_WEBHOOK_TLS_INSECURE, url: this.#url }, 'webhook TLS verification is OFF (tls.insecure): the receiver certificate is not checked');
    this.#unsubscribe = this.#o.outbox.onCommit(() => this.#schedulePump());
    this.#log.info({ url: this.#url, signatures: this.#keys.length, kinds: this.#cfg.kinds ?? 'all', machines: this.#cfg.machines ?? 'all', concurrency: this.#cfg.concurrency, ordering: this.#cfg.ordering }, 'webhook destination started');
    // The first session begins now: what is committed from here on is live, the rest is backlog.
    this.#pumpFailures.run(() => this.#pump());
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Requests cut short go again at the next start: they were never acknowledged.
    this.#abort.abort();
    await Promise.allSettled([...this.#pending]);
    this.#poster.close();
    this.#probe = undefined;
    try {
      this.#cursor.end();
    } catch {
      // the outbox was not open: there is no session to end
    }
  }

  stats(): DestinationStats {
    const { depth, oldestAgeMs, deadLetters } = backlogFigures(this.name, () => this.#cursor, this.#o.outbox);
    const rate = this.#meter.rate();
    return {
      name: this.name,
      type: 'webhook',
      up: this.#running && !this.#probe,
      depth,
      oldestAgeMs,
      rate,
      etaSeconds: rate > 0 ? Math.round(depth / rate) : undefined,
      sent: this.#sent,
      acked: this.#acked,
      deadLetters,
      lastError: this.#lastError,
    };
  }

  get #cursor(): DestinationCursor {
    return this.#o.outbox.cursor(this.name);
  }

  // Whatever goes wrong with one round, the agent keeps running; the rows stay in the outbox.
  readonly #pumpSoon = new Coalesced(() => this.#pumpFailures.run(() => this.#pump()));

  #schedulePump(): void {
    if (this.#running) this.#pumpSoon.request();
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#schedulePump();
    }, ms);
  }

  #pump(): void {
    if (!this.#running) return;
    if (this.#probe) return this.#pumpProbe();
    const c = this.#cursor;
    if (!c.session) {
      // Requests of the session that ended settle first: what they deliver is not backlog.
      if (this.#inflight > 0) return;
      const s = c.begin();
      this.#session++;
      this.#pacer.begin(s.backlog > 0 ? s.boundary : 0, s.backlog);
    }
    const max = this.#cfg.concurrency;
    // Live first: it never waits behind the backlog.
    while (this.#inflight < max) {
      const rows = c.takeLive(max - this.#inflight);
      if (rows.length === 0) break;
      for (const row of rows) this.#send({ row, replay: false, session: this.#session });
    }
    if (this.#timer) return;
    while (this.#inflight < max) {
      let n = max - this.#inflight;
      if (!c.replayDone) {
        n = this.#pacer.take(n);
        if (n === 0) return this.#arm(this.#pacer.waitMs());
      } else this.#pacer.finish();
      const rows = c.takeReplay(n);
      if (rows.length === 0) {
        if (c.replayDone) this.#pacer.finish();
        return;
      }
      // In lanes mode the replay lane holds only backlog and resends; in strict mode it is the one lane.
      for (const row of rows) this.#send({ row, replay: !c.strict || c.isReplay(row.seq), session: this.#session });
    }
  }

  #pumpProbe(): void {
    if (this.#probing || this.#timer) return;
    const wait = this.#probeAt - this.#now();
    if (wait > 0) return this.#arm(wait);
    this.#probing = true;
    this.#send(this.#probe!);
  }

  #send(a: Attempt): void {
    const agentId = this.#o.agentId;
    // Each attempt is signed anew: receivers reject a webhook-timestamp older than a few minutes.
    const sentAt = this.#now();
    const body = encodeEnvelope(agentId, a.row, sentAt, a.replay);
    const headers = { ...this.#headers, ...webhookHeaders(this.#keys, msgId(agentId, a.row.seq), sentAt, body) };
    this.#inflight++;
    this.#sent++;
    const p = this.#poster
      .post(body, headers, this.#abort.signal)
      .catch((err: unknown): Outcome => ({ kind: 'retry', reason: err instanceof Error ? err.message : String(err) }))
      .then((o) => this.#pumpFailures.run(() => this.#settle(a, o)));
    const tracked = p.then(() => {
      this.#pending.delete(tracked);
    });
    this.#pending.add(tracked);
  }

  #settle(a: Attempt, o: Outcome): void {
    this.#inflight--;
    // Cut short by stop(): not an answer of the receiver; it goes again at the next start.
    if (!this.#running) return;
    const isProbe = a === this.#probe;
    if (isProbe) this.#probing = false;
    if (o.kind === 'delivered') {
      this.#o.outbox.acked(this.name, [a.row]);
      this.#acked++;
      this.#meter.mark(this.#acked);
      if (a.replay && a.session === this.#session && !isProbe) this.#pacer.acked(1);
      this.#answered(isProbe);
    } else if (o.kind === 'dead-letter') {
      this.#o.outbox.deadLetter(this.name, a.row, o.code, o.reason);
      this.#lastError = { at: new Date(this.#now()).toISOString(), message: o.reason };
      this.#logRefusal(a.row, o);
      this.#answered(isProbe);
    } else this.#failed(a, o, isProbe);
    this.#schedulePump();
  }

  /** The receiver answered: an outage ends with the head message, not with a straggler of the old session. */
  #answered(isProbe: boolean): void {
    if (this.#probe && !isProbe) return;
    this.#probe = undefined;
    this.#schedule.reset();
    this.#failing.ok();
  }

  /**
   * A receiver may refuse one machine's messages between accepted ones of the others, so there is
   * no "recovered" to wait for: at most one line a minute, counting the refusals it did not log.
   */
  #logRefusal(row: OutboxRow, o: Extract<Outcome, { kind: 'dead-letter' }>): void {
    const now = this.#now();
    if (now - this.#refusalLoggedAt < REFUSAL_LOG_EVERY_MS) {
      this.#refusalsUnlogged++;
      return;
    }
    this.#log.warn({ code: E.LS_WEBHOOK_REJECTED, url: this.#url, seq: row.seq, machine: row.machine, kind: row.kind, status: o.status, reason: o.reason, refusedMeanwhile: this.#refusalsUnlogged }, 'webhook receiver refused a message for good: it is a dead letter now (lineside dead-letters list); the stream goes on');
    this.#refusalLoggedAt = now;
    this.#refusalsUnlogged = 0;
  }

  #failed(a: Attempt, o: Extract<Outcome, { kind: 'retry' }>, isProbe: boolean): void {
    this.#lastError = { at: new Date(this.#now()).toISOString(), message: o.reason };
    this.#failing.fail(o.reason, { url: this.#url, seq: a.row.seq, ...(o.status ? { status: o.status } : {}), ...(o.retryAfterMs !== undefined ? { retryAfterMs: o.retryAfterMs } : {}) });
    if (!isProbe) {
      // A straggler of a session that already ended: it is not delivered, so the next session has it.
      if (this.#probe || a.session !== this.#session) return;
      this.#cursor.end();
      clearTimeout(this.#timer);
      this.#timer = undefined;
      // The head keeps the lane it was taken in, so each lane stays in seq order at the receiver.
      this.#probe = a;
    }
    this.#probeAt = this.#now() + this.#schedule.next(o.retryAfterMs);
  }
}

function authHeader(auth: WebhookConfig['auth']): Record<string, string> {
  if (auth?.bearer !== undefined) return { authorization: `Bearer ${auth.bearer}` };
  if (auth?.username !== undefined) return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}` };
  return {};
}

function lowerKeys(h: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function failSecret(name: string): never {
  throw new Error(`${name}: a signing secret is not a valid whsec_ secret`);
}
