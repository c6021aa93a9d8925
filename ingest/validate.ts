// Contract validation at ingest rates. The contract's zod schemas are the truth, but running them
// per message took 12 % of the ingest's CPU in a profile (and made a copy of every payload). So
// each message kind's JSON Schema — generated from that very zod schema, as
// docs/schemas/payloads/*.json are — is compiled once with ajv, and a payload ajv accepts is used
// as parsed. Anything ajv refuses goes through zod, which decides and words the reason: ajv only
// ever speeds up an acceptance, and test/unit/ingest/validate.test.ts checks on generated valid
// and broken payloads that the two accept exactly the same.
import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import type { ContractMessage } from '../agent/contract/messages.ts';

// strictNumbers: NaN and ±Infinity (JSON.parse turns 1e400 into Infinity) are not numbers, as in
// zod. Formats are not checked by ajv: every format in the contract also carries its zod regex
// as `pattern`, which is checked.
const ajv = new Ajv({ strict: false, strictNumbers: true, validateFormats: false, allErrors: false });

/**
 * zod's records skip a key named `__proto__` (and leave it out of their output) where a JSON
 * Schema takes it as any other key: such payloads are left to zod, so both stay the same.
 */
function noProtoKeys(schema: unknown): object {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.additionalProperties && typeof o.additionalProperties === 'object') {
      const notProto = { not: { const: '__proto__' } };
      o.propertyNames = o.propertyNames ? { allOf: [o.propertyNames, notProto] } : notProto;
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(schema);
  return schema as object;
}

/** Per kind, compiled on its first message; `null` when it cannot be compiled (zod alone then). */
const compiled = new Map<ContractMessage, ValidateFunction | null>();

export function fastValidator(m: ContractMessage): ValidateFunction | null {
  let v = compiled.get(m);
  if (v === undefined) {
    try {
      v = ajv.compile(noProtoKeys(z.toJSONSchema(m.payload, { target: 'draft-7', io: 'output' })));
    } catch {
      v = null;
    }
    compiled.set(m, v);
  }
  return v;
}
