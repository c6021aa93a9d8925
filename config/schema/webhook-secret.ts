// The format of a Standard Webhooks secret: `whsec_` and the base64 of 24–64 random bytes. The
// config schema validates with it, and the webhook signs with the key it returns.

const PREFIX = 'whsec_';
/** The spec: at least 24 random bytes, at most 64. */
const MIN_BYTES = 24;
const MAX_BYTES = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** The key behind `whsec_<base64>`; undefined when it is not one (strict base64, 24–64 bytes). */
export function decodeWebhookSecret(secret: string): Buffer | undefined {
  if (!secret.startsWith(PREFIX)) return undefined;
  const b64 = secret.slice(PREFIX.length);
  // Buffer.from(…, 'base64') skips characters it does not know; a typo must not quietly become another key.
  if (!BASE64.test(b64)) return undefined;
  const key = Buffer.from(b64, 'base64');
  return key.length >= MIN_BYTES && key.length <= MAX_BYTES ? key : undefined;
}
