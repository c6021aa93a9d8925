// One MQTT message → what the writer stores: a contract envelope, an agent status, a message of a
// kind without a table of its own, nothing (commands sent to agents), or quarantine with a reason.
// Validation runs against the contract module's message catalogue, so a kind added to the
// contract is validated (and stored generically) without a change here.
import { type ContractMessage, messageForTopic } from '../agent/contract/messages.ts';
import { fastValidator } from './validate.ts';

export interface Envelope {
  schema: string;
  msgId: string;
  seq: number;
  ts: string;
  sentAt: string;
  machine: string;
  replay: boolean;
  data: Record<string, unknown>;
}

export interface LinePath {
  enterprise: string;
  site: string;
  area: string;
  line: string;
}

export type Decoded =
  | { type: 'envelope'; kind: string; agentId: string; path: LinePath; machinePath: string; env: Envelope }
  | { type: 'status'; path: LinePath; agentId: string; status: { status: string; ts: string; version?: string; configHash?: string; reason?: string } }
  | { type: 'other'; kind: string; schema: string | undefined; body: unknown }
  | { type: 'ignored'; why: string }
  | { type: 'invalid'; reason: string; msgId?: string };

function firstIssue(err: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): string {
  const i = err.issues[0];
  if (!i) return 'invalid';
  const more = err.issues.length > 1 ? ` (+${err.issues.length - 1} more)` : '';
  return `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}${more}`;
}

function msgIdOf(json: unknown): string | undefined {
  const v = (json as { msgId?: unknown } | null)?.msgId;
  return typeof v === 'string' ? v.slice(0, 200) : undefined;
}

interface TopicInfo {
  message: ContractMessage;
  params: Record<string, string>;
  /** Shared by every message of the topic: nothing per message to allocate or keep. */
  path: LinePath;
  machinePath: string;
}

/** Topics repeat (machines × kinds): their lookup is cached, bounded against a flood of odd topics. */
const topics = new Map<string, TopicInfo | undefined>();

function lookup(topic: string): TopicInfo | undefined {
  let found = topics.get(topic);
  if (found === undefined && !topics.has(topic)) {
    const m = messageForTopic(topic);
    if (m) {
      const levels = topic.split('/');
      const path: LinePath = { enterprise: levels[2]!, site: levels[3]!, area: levels[4]!, line: levels[5]! };
      found = { ...m, path, machinePath: `${path.enterprise}/${path.site}/${path.area}/${path.line}/${m.params.machine ?? ''}` };
    }
    if (topics.size >= 10_000) topics.clear();
    topics.set(topic, found);
  }
  return found;
}

export function decode(topic: string, payload: Uint8Array): Decoded {
  const found = lookup(topic);
  if (!found) return { type: 'invalid', reason: 'topic is not in the contract' };
  const { message, params, path } = found;
  // Commands travel toward agents; they are the MES's, not facts to store.
  if (message.action === 'receive') return { type: 'ignored', why: 'command' };
  let json: unknown;
  const raw = Buffer.isBuffer(payload) ? payload.toString('utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  try {
    json = JSON.parse(raw);
  } catch {
    return { type: 'invalid', reason: 'payload is not JSON' };
  }
  if (message.schemaId && (json as { schema?: unknown } | null)?.schema !== message.schemaId) {
    const got = (json as { schema?: unknown } | null)?.schema;
    return { type: 'invalid', reason: `schema ${JSON.stringify(got)} is not ${message.schemaId} (the one ${message.id} carries in contract v1)`, msgId: msgIdOf(json) };
  }
  // The compiled JSON Schema accepts what zod accepts (validate.ts); zod decides the rest and words the reason.
  let data: unknown = json;
  if (fastValidator(message)?.(json) !== true) {
    const parsed = message.payload.safeParse(json);
    if (!parsed.success) return { type: 'invalid', reason: `${message.id}: ${firstIssue(parsed.error)}`, msgId: msgIdOf(json) };
    data = parsed.data;
  }
  if (message.enveloped) {
    const env = data as Envelope;
    if (env.machine !== params.machine) return { type: 'invalid', reason: `envelope machine ${env.machine} is not the topic's ${params.machine}`, msgId: env.msgId };
    const colon = env.msgId.lastIndexOf(':');
    if (env.msgId.slice(colon + 1) !== String(env.seq)) return { type: 'invalid', reason: `msgId ${env.msgId} does not end in seq ${env.seq}`, msgId: env.msgId };
    return { type: 'envelope', kind: message.id, agentId: env.msgId.slice(0, colon), path, machinePath: found.machinePath, env };
  }
  if (message.id === 'agentStatus') {
    const s = data as { agentId: string; status: string; ts: string; version?: string; configHash?: string; reason?: string };
    if (s.agentId !== params.agentId) return { type: 'invalid', reason: `agentId ${s.agentId} is not the topic's ${params.agentId}` };
    return { type: 'status', path, agentId: s.agentId, status: s };
  }
  return { type: 'other', kind: message.id, schema: message.schemaId, body: data };
}
