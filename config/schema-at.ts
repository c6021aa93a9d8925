// Which part of the schema validates a given path of the config: for messages that need more than
// zod's issue carries (the keys allowed where an unknown one stands, whether a value is secret).
import type { z } from 'zod';
import { hidingOf, type Hiding } from './schema/secret.ts';

type Schema = z.core.$ZodType;
type Def = Record<string, unknown> & { type: string };

interface Found {
  schema: Schema;
  hides: Hiding | undefined;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch', 'success']);

function defOf(s: Schema): Def {
  return s._zod.def as unknown as Def;
}

/** The concrete schemas behind wrappers and unions; a discriminated union keeps the variant the input picks. */
function expand(s: Schema, input: unknown, hides?: Hiding): Found[] {
  const h = hides ?? hidingOf(s);
  const def = defOf(s);
  if (WRAPPERS.has(def.type)) return expand(def.innerType as Schema, input, h);
  if (def.type === 'pipe') return expand(def.in as Schema, input, h);
  if (def.type === 'lazy') return expand((def.getter as () => Schema)(), input, h);
  if (def.type === 'union') {
    let options = def.options as Schema[];
    const disc = def.discriminator as string | undefined;
    if (disc && input && typeof input === 'object') {
      const value = (input as Record<string, unknown>)[disc];
      const picked = options.filter((o) => o._zod.propValues?.[disc]?.has(value as never));
      if (picked.length) options = picked;
    }
    return options.flatMap((o) => expand(o, input, h));
  }
  return [{ schema: s, hides: h }];
}

function child(s: Schema, key: PropertyKey): Schema | undefined {
  const def = defOf(s);
  if (def.type === 'object') return (def.shape as Record<string, Schema>)[String(key)];
  if (def.type === 'array') return def.element as Schema;
  if (def.type === 'record') return def.valueType as Schema;
  if (def.type === 'tuple' && typeof key === 'number') return (def.items as Schema[])[key];
  return undefined;
}

/** The schemas that validate the value at `path` of `input` (several when a union leaves it open). */
export function schemasAt(root: Schema, path: ReadonlyArray<PropertyKey>, input: unknown): Found[] {
  let found = expand(root, input);
  let value = input;
  for (const key of path) {
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    const next = value;
    found = found.flatMap((f) => {
      const c = child(f.schema, key);
      return c ? expand(c, next) : [];
    });
  }
  return found;
}

/** The keys a mapping at `path` may have. */
export function keysAt(root: Schema, path: ReadonlyArray<PropertyKey>, input: unknown): string[] {
  const keys = schemasAt(root, path, input).flatMap((f) => (defOf(f.schema).type === 'object' ? Object.keys(defOf(f.schema).shape as object) : []));
  return [...new Set(keys)];
}

/** What must not be shown of the value at `path`; a union that might be secret counts as secret. */
export function hidingAt(root: Schema, path: ReadonlyArray<PropertyKey>, input: unknown): Hiding | undefined {
  const found = schemasAt(root, path, input).map((f) => f.hides);
  return found.includes('value') ? 'value' : found.includes('url-password') ? 'url-password' : undefined;
}

/** Every marked field as a path pattern (`[]` any list item, `.*` any map key): for tests and the log's redaction. */
export function markedPaths(root: Schema): Array<{ path: string; hides: Hiding }> {
  const out: Array<{ path: string; hides: Hiding }> = [];
  const visit = (s: Schema, path: string, depth: number): void => {
    if (depth > 32) return;
    for (const f of expand(s, undefined)) {
      if (f.hides) out.push({ path, hides: f.hides });
      const def = defOf(f.schema);
      if (def.type === 'object') for (const [k, v] of Object.entries(def.shape as Record<string, Schema>)) visit(v, path ? `${path}.${k}` : k, depth + 1);
      else if (def.type === 'array') visit(def.element as Schema, `${path}[]`, depth + 1);
      else if (def.type === 'record') visit(def.valueType as Schema, `${path}.*`, depth + 1);
    }
  };
  visit(root, '', 0);
  return [...new Map(out.map((m) => [`${m.path} ${m.hides}`, m])).values()];
}
