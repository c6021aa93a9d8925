// The JSON Schema of lineside.yaml, for editors (yaml-language-server) and docs/CONFIG.md.
import { z } from 'zod';
import { configSchema } from './schema/index.ts';

export const CONFIG_SCHEMA_ID = 'https://lineside.dev/schemas/lineside.config.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: CONFIG_SCHEMA_ID, title: 'Lineside agent configuration' };
}
