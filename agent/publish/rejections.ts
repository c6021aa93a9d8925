// What to do when an MQTT 5 broker refuses a publish (a PUBACK reason code ≥ 0x80). Sending the
// same message again cannot help when the broker will never take it (not authorised, a topic or
// payload it rejects): it goes to the dead letter, is counted and shown, and the stream moves on.
// Codes that say "not now" are retried after a pause.

export type Verdict = { action: 'dead-letter'; code: string; reason: string } | { action: 'retry'; code: string; reason: string };

const PERMANENT: Record<number, string> = {
  0x87: 'not authorized',
  0x90: 'topic name invalid',
  0x95: 'packet too large',
  0x99: 'payload format invalid',
};

const TRANSIENT: Record<number, string> = {
  0x80: 'unspecified error',
  0x83: 'implementation specific error',
  0x91: 'packet identifier in use',
  0x97: 'quota exceeded',
};

export function hex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/** The verdict for a refused publish; undefined when the error carries no MQTT 5 reason code (a lost connection). */
export function judgeRejection(err: unknown): Verdict | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'number' || code < 0x80) return undefined;
  const id = `mqtt-${hex(code)}`;
  if (code in PERMANENT) return { action: 'dead-letter', code: id, reason: PERMANENT[code]! };
  return { action: 'retry', code: id, reason: TRANSIENT[code] ?? 'refused by the broker' };
}
