// Standard Webhooks 1.0 signing (symmetric scheme): HMAC-SHA256 over `{id}.{timestamp}.{body}`
// with the bytes behind a `whsec_` secret, sent as `v1,<base64>`; one signature per secret,
// space-separated, so a receiver rotating its secret accepts either during the switch-over.
import { createHmac } from 'node:crypto';

export { decodeWebhookSecret } from '../../../config/schema/webhook-secret.ts';

/** `webhook-signature`: `v1,<sig>` per key, space-separated. */
export function signatureHeader(keys: readonly Buffer[], id: string, timestamp: number, body: string): string {
  const content = `${id}.${timestamp}.${body}`;
  return keys.map((k) => `v1,${createHmac('sha256', k).update(content).digest('base64')}`).join(' ');
}

/** The three Standard Webhooks headers of one attempt; every attempt is signed with its own timestamp. */
export function webhookHeaders(keys: readonly Buffer[], id: string, sentAtMs: number, body: string): Record<string, string> {
  const timestamp = Math.floor(sentAtMs / 1000);
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
  if (keys.length) headers['webhook-signature'] = signatureHeader(keys, id, timestamp, body);
  return headers;
}
