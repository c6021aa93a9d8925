// Checks real HTTP responses against docs/openapi.yaml (the published file, not the code that
// generated it): the schema of the path, method and status, validated with ajv (JSON Schema 2020-12).
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import YAML from 'yaml';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };

const doc = YAML.parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const cache = new Map<string, ValidateFunction>();

export interface HttpResult {
  status: number;
  body: unknown;
  text: string;
  type: string;
}

export async function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResult> {
  const res = await fetch(`${base}${path}`, { method, headers });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, text, type, body: type.startsWith('application/json') ? JSON.parse(text) : text };
}

/** Throws unless `body` is what docs/openapi.yaml documents for this route and status. */
export function assertDocumented(route: string, status: number, body: unknown): void {
  const key = `${route} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    const schema = doc.paths[route]?.get?.responses[String(status)]?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`docs/openapi.yaml documents no JSON response ${status} for GET ${route}`);
    validate = ajv.compile(schema);
    cache.set(key, validate);
  }
  if (!validate(body)) throw new Error(`response ${status} of ${route} does not match docs/openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 400)}`);
}

/** Poll `check` until it returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last error: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
