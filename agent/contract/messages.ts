// The catalogue of every MQTT message of contract v1: its topic, who sends it, and its full
// payload schema (envelope + body). docs/asyncapi.yaml, docs/schemas/payloads/*.json and the
// contract checker of the tests are all built from this one list.
import { z } from 'zod';
import { COMMAND_REPLY_SCHEMA, commandReplySchema, downtimeReasonCommandSchema, jobCommandSchema } from './commands.ts';
import { envelopeSchema } from './envelope.ts';
import { auditBody, downtimeBody, jobBody, oeeBody, SCHEMA, stateBody, telemetryBody } from './payloads.ts';
import { AGENT_STATUS_SCHEMA, agentStatusSchema, DROP_REPORT_SCHEMA, dropReportSchema } from './status.ts';
import { EXAMPLES } from './examples.ts';

export type Direction = 'send' | 'receive';

export interface ContractMessage {
  /** Stable id: message, channel and JSON Schema file name. */
  id: string;
  title: string;
  summary: string;
  /** Topic after the line root `lineside/v1/{enterprise}/{site}/{area}/{line}/`. */
  address: string;
  /** `send`: the agent publishes it; `receive`: the agent subscribes to it. */
  action: Direction;
  /** Schema id in the payload (`schema` field), when it has one. */
  schemaId?: string;
  enveloped: boolean;
  retained: boolean;
  payload: z.ZodType;
  example: unknown;
}

const enveloped = (schemaId: string, body: z.ZodType) =>
  envelopeSchema.extend({ schema: z.literal(schemaId).describe('Payload schema id and version.'), data: body });

const machineKind = (kind: string) => `{machine}/${kind}`;

export const MESSAGES: readonly ContractMessage[] = [
  {
    id: 'telemetry',
    title: 'Telemetry',
    summary: 'Latest values of the machine\'s tags (only tags that changed or are due).',
    address: machineKind('telemetry'),
    action: 'send',
    schemaId: SCHEMA.telemetry,
    enveloped: true,
    retained: false,
    payload: enveloped(SCHEMA.telemetry, telemetryBody.describe('Tag values by tag name.')),
    example: EXAMPLES.telemetry,
  },
  {
    id: 'state',
    title: 'Machine state changed',
    summary: 'The machine entered a new state; `previous` is the state that just ended.',
    address: machineKind('state'),
    action: 'send',
    schemaId: SCHEMA.state,
    enveloped: true,
    retained: false,
    payload: enveloped(SCHEMA.state, stateBody.describe('The new state and the one that ended.')),
    example: EXAMPLES.state,
  },
  {
    id: 'downtime',
    title: 'Downtime event',
    summary: 'A downtime event opened, closed, or was updated (reason assigned later: a new revision).',
    address: machineKind('downtime'),
    action: 'send',
    schemaId: SCHEMA.downtime,
    enveloped: true,
    retained: false,
    payload: enveloped(SCHEMA.downtime, downtimeBody.describe('One downtime event; the latest revision wins.')),
    example: EXAMPLES.downtime,
  },
  {
    id: 'oee',
    title: 'OEE of a period',
    summary: 'Live (provisional) or closed OEE of a shift, hour or job period; a closed period republished after a late reason has a higher revision.',
    address: machineKind('oee'),
    action: 'send',
    schemaId: SCHEMA.oee,
    enveloped: true,
    retained: false,
    payload: enveloped(SCHEMA.oee, oeeBody.describe('Times, counts and ratios of one period (ratios unrounded; null when undefined).')),
    example: EXAMPLES.oee,
  },
  {
    id: 'job',
    title: 'Job result',
    summary: 'The result of a job order when it ended (a later revision when a late reason changed it).',
    address: machineKind('job'),
    action: 'send',
    schemaId: SCHEMA.job,
    enveloped: true,
    retained: false,
    payload: enveloped(SCHEMA.job, jobBody.describe('Counts and OEE of one job order.')),
    example: EXAMPLES.job,
  },
  {
    id: 'outboxDrop',
    title: 'Drop report',
    summary: 'The outbox had to discard messages of this machine (bounds reached); lists the seqs that are gone on purpose.',
    address: machineKind('event'),
    action: 'send',
    schemaId: DROP_REPORT_SCHEMA,
    enveloped: true,
    retained: false,
    payload: enveloped(DROP_REPORT_SCHEMA, dropReportSchema),
    example: EXAMPLES.outboxDrop,
  },
  {
    id: 'audit',
    title: 'Audit record',
    summary: 'An operator or admin acted on this machine at the line station or through the local API (a downtime reason, a job): who, what, when, outcome. Since contract 1.2.0.',
    address: machineKind('audit'),
    action: 'send',
    schemaId: SCHEMA.audit,
    enveloped: true,
    retained: false,
    payload: enveloped(SCHEMA.audit, auditBody.describe('One record of the audit log.')),
    example: EXAMPLES.audit,
  },
  {
    id: 'agentAudit',
    title: 'Audit record of the agent',
    summary: 'An action not about one machine (login, failed login, logout); the envelope\'s `machine` is `_agent`. Since contract 1.2.0.',
    address: '_agent/audit',
    action: 'send',
    schemaId: SCHEMA.audit,
    enveloped: true,
    retained: false,
    payload: enveloped(SCHEMA.audit, auditBody.describe('One record of the audit log.')).extend({ machine: z.literal('_agent').describe('`_agent`: the record is about the agent, not a machine.') }),
    example: EXAMPLES.agentAudit,
  },
  {
    id: 'agentStatus',
    title: 'Agent status',
    summary: 'Retained birth (`online`) on every connect; `offline` as last will or on a clean stop.',
    address: '_agent/{agentId}/status',
    action: 'send',
    schemaId: AGENT_STATUS_SCHEMA,
    enveloped: false,
    retained: true,
    payload: agentStatusSchema,
    example: EXAMPLES.agentStatus,
  },
  {
    id: 'jobCommand',
    title: 'Job command',
    summary: 'Start or end a job order on the machine. Answered on `cmd/job/reply`.',
    address: '{machine}/cmd/job',
    action: 'receive',
    enveloped: false,
    retained: false,
    payload: jobCommandSchema,
    example: EXAMPLES.jobCommand,
  },
  {
    id: 'downtimeReasonCommand',
    title: 'Downtime reason command',
    summary: 'Assign a reason to a downtime event. Answered on `cmd/downtime-reason/reply`.',
    address: '{machine}/cmd/downtime-reason',
    action: 'receive',
    enveloped: false,
    retained: false,
    payload: downtimeReasonCommandSchema,
    example: EXAMPLES.downtimeReasonCommand,
  },
  {
    id: 'commandReply',
    title: 'Command reply',
    summary: 'The answer to every command (also to unreadable ones): accepted, or rejected with an `LS_CMD_…` code.',
    address: '{machine}/cmd/{command}/reply',
    action: 'send',
    schemaId: COMMAND_REPLY_SCHEMA,
    enveloped: false,
    retained: false,
    payload: commandReplySchema,
    example: EXAMPLES.commandReply,
  },
];

/** The line root every address hangs under. */
export const ROOT_ADDRESS = 'lineside/v1/{enterprise}/{site}/{area}/{line}';

/** The message a topic carries, and the topic's parameters; undefined for topics outside the contract. */
export function messageForTopic(topic: string): { message: ContractMessage; params: Record<string, string> } | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'lineside' || parts[1] !== 'v1' || parts.length < 8) return undefined;
  const rest = parts.slice(6);
  for (const message of MESSAGES) {
    const tpl = message.address.split('/');
    if (tpl.length !== rest.length) continue;
    const params: Record<string, string> = {};
    const ok = tpl.every((t, i) => (t.startsWith('{') ? ((params[t.slice(1, -1)] = rest[i]!), rest[i] !== '') : t === rest[i]));
    // `{machine}` never matches the agent's own level; an enveloped message on the agent's level
    // (`_agent/audit`) has `_agent` as its machine.
    if (ok && params.machine !== '_agent') return { message, params: message.enveloped && params.machine === undefined ? { ...params, machine: rest[0]! } : params };
  }
  return undefined;
}
