// Commands in replay input are what an MES publishes: `cmd` is the command name of the topic
// `.../{machine}/cmd/{name}`, `payload` its JSON, checked against the contract's own schemas (so
// unknown fields are rejected here as they are there) and applied the way the MQTT handler applies
// them (agent/commands/apply.ts).
import { COMMAND_SCHEMAS, type CommandName } from '../contract/commands.ts';
import type { AppliedCommand } from '../commands/apply.ts';
import { errorMap, formatPath } from '../../config/issues.ts';
import { closestKey } from '../../config/closest-key.ts';

export type ReplayCommand = AppliedCommand & { commandId: string };

/** Field names of replay's former command format, which a file may still use. */
const RENAMED: Record<string, string> = { targetQuantity: 'target', reason: 'reasonCode' };

const NAMES = Object.keys(COMMAND_SCHEMAS) as CommandName[];

export function parseCommand(name: unknown, payload: unknown): { command: ReplayCommand } | { problems: string[] } {
  if (typeof name !== 'string' || !Object.hasOwn(COMMAND_SCHEMAS, name)) return { problems: [`cmd: expected ${NAMES.join(' | ')}, got ${JSON.stringify(name)}`] };
  const parsed = COMMAND_SCHEMAS[name as CommandName].safeParse(payload, { error: errorMap });
  if (parsed.success) return { command: { name, body: parsed.data, commandId: parsed.data.commandId } as ReplayCommand };
  const problems: string[] = [];
  for (const issue of parsed.error.issues) {
    const at = ['payload', ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const near = RENAMED[key] ?? closestKey(key, fieldsOf(name as CommandName, payload));
        problems.push(`${formatPath([...at, key])}: unknown field${near ? `; did you mean "${near}"?` : ''}`);
      }
    } else {
      const missing = issue.code === 'invalid_type' && valueAt(payload, issue.path) === undefined;
      problems.push(`${formatPath(at)}: ${missing ? 'missing; ' : ''}${issue.message}`);
    }
  }
  return { problems };
}

/** The fields a payload may have; for `job`, those of its action. */
function fieldsOf(name: CommandName, payload: unknown): string[] {
  const schema = COMMAND_SCHEMAS[name];
  if ('shape' in schema) return Object.keys(schema.shape);
  const action = (payload as { action?: unknown }).action;
  const option = schema.options.find((o) => o.shape.action.value === action) ?? schema.options[0];
  return Object.keys(option.shape);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}
