// Webhook destinations: the contract's envelopes POSTed to an HTTP(S) receiver (a CMMS, an ERP),
// signed per Standard Webhooks, each with its own outbox cursor, filter, pacing and retries.
import { z } from 'zod';
import type { EventKind } from '../../agent/events.ts';
import { decodeWebhookSecret } from './webhook-secret.ts';
import { credentialsInUrl, secret } from './secret.ts';
import { duration, int, text, topicLevel } from './units.ts';

export const EVENT_KINDS = ['telemetry', 'state', 'downtime', 'oee', 'job', 'event', 'audit'] as const satisfies readonly EventKind[];
// Fails to compile when agent/events.ts gains a kind this list lacks.
const _everyKind: [Exclude<EventKind, (typeof EVENT_KINDS)[number]>] extends [never] ? true : false = true;
void _everyKind;

const SECRET_FORMAT = 'expected a Standard Webhooks secret: `whsec_` followed by the base64 of 24 to 64 random bytes';
const whsec = secret(z.string({ error: SECRET_FORMAT }).refine((s) => decodeWebhookSecret(s) !== undefined, { error: SECRET_FORMAT }));

/** RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Set by the agent itself; `authorization` comes from `auth`. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'connection', 'transfer-encoding', 'authorization', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);

const headerValue = secret(z.string({ error: 'expected a header value (text)' }).regex(/^[\t\u0020-\u007e\u0080-\u00ff]*$/, { error: 'expected a header value without line breaks or control characters' }));

const authSchema = z
  .strictObject({
    bearer: secret(text('a token')).optional().describe('Sends `Authorization: Bearer <token>`. Use ${VAR} or ${file:...}.'),
    username: text('a user name').optional().describe('HTTP basic authentication: user name (with `password`).'),
    password: secret(z.string({ error: 'expected a password (text)' })).optional().describe('HTTP basic authentication: password. Use ${VAR} or ${file:...}.'),
  })
  .superRefine((a, ctx) => {
    const basic = a.username !== undefined || a.password !== undefined;
    if (a.bearer !== undefined && basic) ctx.addIssue({ code: 'custom', path: ['bearer'], message: 'give bearer, or username and password, not both' });
    else if (basic && (a.username === undefined || a.password === undefined)) ctx.addIssue({ code: 'custom', path: [a.username === undefined ? 'username' : 'password'], message: 'username and password must be given together' });
    else if (!basic && a.bearer === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'expected bearer, or username and password' });
  });

const tlsSchema = z
  .strictObject({
    ca: text('a file path').optional().describe('PEM file of the CA(s) that signed the receiver certificate (a plant CA, or the self-signed certificate of the receiver). When given, only these are trusted for this receiver, not the system CAs.'),
    cert: text('a file path').optional().describe('PEM client certificate, for a receiver that requires mutual TLS.'),
    key: text('a file path').optional().describe('PEM private key of the client certificate.'),
    servername: text().optional().describe('TLS server name (SNI) when it differs from the URL host.'),
    insecure: z.boolean({ error: 'expected true or false' }).prefault(false).describe('Do not verify the receiver certificate. For a lab only: anyone in the path can read and answer. Logged (LS_WEBHOOK_TLS_INSECURE) at every start.'),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { error: 'cert and key must be given together', path: ['key'] });

export const webhookSchema = z
  .strictObject({
    name: topicLevel('a webhook name').describe('Name of this destination; its outbox cursor is `webhook:{name}`. Renaming one starts it afresh at the end of the outbox (and drops its dead letters).'),
    url: credentialsInUrl(z.string({ error: 'expected an http:// or https:// URL' }).regex(/^https?:\/\/[^\s/?#]+[^\s]*$/, { error: 'expected an http:// or https:// URL' })).describe('Where messages are POSTed. Redirects are not followed (a 3xx answer makes the message a dead letter): give the final URL. Credentials belong in `auth`.'),
    kinds: z.array(z.enum(EVENT_KINDS, { error: `expected one of ${EVENT_KINDS.join(' | ')}` })).min(1, { error: 'expected at least one kind (or leave kinds out for all)' }).optional().describe('Only these message kinds (all when left out). Drop reports (`event`) always pass: a receiver must hear when some of its messages were dropped.'),
    machines: z.array(topicLevel('a machine id')).min(1, { error: 'expected at least one machine (or leave machines out for all)' }).optional().describe('Only messages of these machines (all when left out).'),
    secrets: z.array(whsec).min(1, { error: 'expected at least one secret' }).optional().describe('Standard Webhooks signing secrets (`whsec_…`). Each message is signed with every one (several while the receiver rotates). Required unless `unsigned: true`. Use ${VAR} or ${file:...}.'),
    unsigned: z.boolean({ error: 'expected true or false' }).prefault(false).describe('Send without `webhook-signature` (the receiver cannot tell our messages from forged ones). Must be said explicitly: signing is the default.'),
    auth: authSchema.optional().describe('Credentials for the receiver, besides the signature: a bearer token, or username and password (basic).'),
    headers: z.record(z.string().regex(HEADER_NAME, { error: 'expected an HTTP header name' }), headerValue).optional().describe('Extra request headers, e.g. `X-Api-Key: ${CMMS_KEY}`. Values are treated as secrets. Content-Type, Authorization and the webhook-* headers are set by the agent.'),
    timeout: duration({ min: '1s', max: '5m' }).prefault('15s').describe('How long one attempt may take, answer included; then it counts as failed and is retried. Standard Webhooks recommends receivers answer within 15–30 s.'),
    concurrency: int(1, 64).prefault(1).describe('Requests in flight at once. With 1 the receiver gets each lane in strict seq order; above 1 it must order by `seq` itself.'),
    retry: z
      .strictObject({
        min: duration({ min: '100ms', max: '1h' }).prefault('1s').describe('First wait after a failed attempt; doubles (with jitter) up to `max`.'),
        max: duration({ min: '100ms', max: '1d' }).prefault('5m').describe('Longest wait between attempts while the receiver fails. A `Retry-After` from the receiver is honoured instead (up to 1 h).'),
      })
      .prefault({})
      .describe('Back-off while the receiver fails (timeouts, connection errors, 408, 429, 5xx).'),
    replayRate: int(1, 100_000).prefault(100).describe('Messages/s at most when draining a backlog (after an outage of the receiver or the agent; marked `replay: true`); live messages go out beside it at once.'),
    ordering: z.enum(['lanes', 'strict'], { error: 'expected lanes | strict' }).prefault('lanes').describe('`lanes`: live messages go out at once and the backlog drains oldest first beside them (order is kept within each lane). `strict`: one stream in seq order, live messages wait behind the backlog.'),
    tls: tlsSchema.optional().describe('TLS settings for an https:// URL. The receiver certificate is verified against the system CAs, or against `ca` when given.'),
  })
  .superRefine((w, ctx) => {
    if (!w.unsigned && !w.secrets) ctx.addIssue({ code: 'custom', path: ['secrets'], message: 'required: at least one whsec_ secret to sign with (or `unsigned: true` to send unsigned)' });
    if (w.unsigned && w.secrets) ctx.addIssue({ code: 'custom', path: ['unsigned'], message: 'unsigned: true and secrets contradict each other; remove one' });
    if (w.tls && w.url.startsWith('http://')) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls settings need an https:// url' });
    if (w.retry.max < w.retry.min) ctx.addIssue({ code: 'custom', path: ['retry', 'max'], message: 'expected retry.max at least retry.min' });
    for (const name of Object.keys(w.headers ?? {})) {
      if (RESERVED_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['headers', name], message: `${name} is set by the agent${name.toLowerCase() === 'authorization' ? ' (use auth)' : ''}` });
    }
  });

export const webhooksSchema = z
  .array(webhookSchema)
  .prefault([])
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((w, i) => {
      const first = seen.get(w.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate webhook name "${w.name}" (also webhooks[${first}])` });
      else seen.set(w.name, i);
    });
  })
  .describe('HTTP(S) receivers of the same messages as MQTT (signed, filtered, paced, retried). Each has its own outbox cursor: a slow or dead receiver never delays MQTT or another webhook. See docs/WEBHOOKS.md.');

export type WebhookConfig = z.output<typeof webhookSchema>;

/** Cross-check with the machines section: a filter naming a machine the agent does not have is a typo. */
export function checkWebhookMachines(cfg: { webhooks: readonly WebhookConfig[]; machines: readonly { id: string }[] }, ctx: z.RefinementCtx): void {
  const ids = cfg.machines.map((m) => m.id);
  cfg.webhooks.forEach((w, i) => {
    w.machines?.forEach((m, j) => {
      if (!ids.includes(m)) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'machines', j], message: `expected one of the machine ids (${ids.join(', ')}), got "${m}"` });
    });
  });
}
