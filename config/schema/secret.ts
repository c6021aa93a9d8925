// The one place secret fields are marked. A field wrapped in `secret()` never has its value
// repeated in a validation message (those reach the journal through `validate` in ExecStartPre),
// and is `writeOnly` in the JSON Schema, so docs/CONFIG.md flags it. `credentialsInUrl()` marks
// a URL that may carry `user:password@`: messages show it with the password masked.
import { z } from 'zod';

export type Hiding = 'value' | 'url-password';

const marks = z.registry<{ hides: Hiding }>();

export function secret<T extends z.ZodType>(schema: T): T {
  const marked = schema.meta({ writeOnly: true }) as T;
  marks.add(marked, { hides: 'value' });
  return marked;
}

export function credentialsInUrl<T extends z.ZodType>(schema: T): T {
  const marked = schema.clone() as T;
  marks.add(marked, { hides: 'url-password' });
  return marked;
}

/** What a schema hides of its value; the mark survives `.describe()` (a clone keeps its parent's marks). */
export function hidingOf(schema: z.core.$ZodType): Hiding | undefined {
  return marks.get(schema)?.hides;
}
