// Generates docs/asyncapi.yaml (AsyncAPI 3.0) and docs/schemas/payloads/*.json from the message
// catalogue: the same zod schemas the agent validates and publishes with. `npm run gen` writes
// them; a test fails when the files are stale.
import YAML from 'yaml';
import { z } from 'zod';
import { ERRORS, type ErrorCodeInfo } from '../errors.ts';
import { MESSAGES, ROOT_ADDRESS, type ContractMessage } from './messages.ts';

const SCHEMA_BASE = 'urn:lineside:contract:v1:';

/** Draft-07 JSON Schema of one message payload (what docs/schemas/payloads/{id}.json holds). */
export function payloadJsonSchema(m: ContractMessage): Record<string, unknown> {
  const js = z.toJSONSchema(m.payload, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
  const { $schema, ...rest } = js;
  return { $schema, $id: `${SCHEMA_BASE}${m.id}`, title: m.title, ...rest };
}

/** docs/schemas/payloads/*.json: path → content. */
export function payloadSchemaFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of MESSAGES) out[`docs/schemas/payloads/${m.id}.json`] = `${JSON.stringify(payloadJsonSchema(m), null, 2)}\n`;
  return out;
}

const PARAMETERS: Record<string, string> = {
  enterprise: 'ISA-95 enterprise (`location.enterprise`).',
  site: 'ISA-95 site (`location.site`).',
  area: 'ISA-95 area (`location.area`).',
  line: 'ISA-95 line (`location.line`).',
  machine: 'Machine id (`machines[].id`).',
  agentId: 'Agent id (`agent.id`).',
  command: 'Command name (`job`, `downtime-reason`, or whatever the sender used).',
};

const cmdCodes = () =>
  (Object.entries(ERRORS) as Array<[string, ErrorCodeInfo]>).filter(([, i]) => i.where.includes('command-reply')).map(([c, i]) => `- \`${c}\`: ${i.meaning}`).join('\n');

/** The contract's release: 1.x.y for topic version v1 (docs/CONTRACT.md, "Versioning"). */
export const CONTRACT_RELEASE = '1.2.0';

const DESCRIPTION = `The MQTT contract of Lineside, the shop-floor edge gateway: every topic the agent publishes and
subscribes to, with the JSON Schema of every payload. Generated from the agent's own schemas
(agent/contract/); guarantees and versioning policy: docs/CONTRACT.md.

- QoS 1, at-least-once. De-duplicate on \`msgId\`; find gaps with \`seq\` (per agent, strictly increasing).
- Order is kept per lane: live messages in \`seq\` order, and a backlog drained after an outage (\`replay: true\`)
  in \`seq\` order beside them. Order a machine's facts by \`ts\`. With \`mqtt.ordering: strict\` the agent
  keeps one stream in \`seq\` order (live waits behind the backlog).
- Closed OEE periods and downtime events can be republished with a higher \`revision\`: the latest revision wins.
- Drop reports (\`lineside.outbox-drop/2\` on \`.../{machine}/event\`) name every seq discarded on purpose, and
  which of them may have arrived all the same.
- Error codes: docs/ERRORS.md.`;

export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const m of MESSAGES) {
    const address = `${ROOT_ADDRESS}/${m.address}`;
    const params = [...address.matchAll(/\{(\w+)\}/g)].map((x) => x[1]!);
    const { $schema, $id, ...schema } = payloadJsonSchema(m);
    schemas[m.id] = schema;
    messages[m.id] = {
      name: m.id,
      title: m.title,
      summary: m.summary,
      contentType: 'application/json',
      ...(m.id === 'commandReply' ? { description: `Codes of rejected commands:\n\n${cmdCodes()}` } : {}),
      payload: { $ref: `#/components/schemas/${m.id}` },
      examples: [{ name: `${m.id}Example`, payload: m.example }],
      ...(m.schemaId ? { 'x-schema-id': m.schemaId } : {}),
    };
    channels[m.id] = {
      address,
      title: m.title,
      description: `${m.summary}${m.retained ? ' Retained.' : ''}${m.enveloped ? ` Envelope schema id \`${m.schemaId}\`.` : ''} JSON Schema: docs/schemas/payloads/${m.id}.json.`,
      parameters: Object.fromEntries(params.map((p) => [p, { description: PARAMETERS[p] ?? p }])),
      messages: { [m.id]: { $ref: `#/components/messages/${m.id}` } },
    };
    if (m.id === 'commandReply') continue; // sent as the reply of the command operations below
    const verb = m.action === 'send' ? 'publish' : 'receive';
    operations[`${verb}${m.id[0]!.toUpperCase()}${m.id.slice(1)}`] = {
      action: m.action,
      channel: { $ref: `#/channels/${m.id}` },
      summary: m.action === 'send' ? `The agent publishes ${m.title.toLowerCase()}.` : `The agent receives the ${m.title.toLowerCase()} from the MES.`,
      messages: [{ $ref: `#/channels/${m.id}/messages/${m.id}` }],
      bindings: { mqtt: { qos: 1, retain: m.retained, bindingVersion: '0.2.0' } },
      ...(m.action === 'receive'
        ? { reply: { channel: { $ref: '#/channels/commandReply' }, messages: [{ $ref: '#/channels/commandReply/messages/commandReply' }] } }
        : {}),
    };
  }
  return {
    asyncapi: '3.0.0',
    id: 'urn:lineside:mqtt:v1',
    info: {
      title: 'Lineside MQTT contract',
      version: CONTRACT_RELEASE,
      description: DESCRIPTION,
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      plant: { host: 'broker.plant.example:1883', protocol: 'mqtt', description: 'The plant broker (mqtt.url in the agent configuration).' },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}

export function asyncApiYaml(): string {
  return `# Generated from agent/contract/ by \`npm run gen\`; do not edit.\n${YAML.stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
