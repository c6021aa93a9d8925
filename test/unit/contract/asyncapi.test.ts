import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { asyncApiDocument, asyncApiYaml, payloadJsonSchema } from '../../../agent/contract/asyncapi.ts';
import { MESSAGES, messageForTopic } from '../../../agent/contract/messages.ts';
import { EVENT_KINDS } from '../../../agent/contract/topics.ts';
import { ERRORS } from '../../../agent/errors.ts';

describe('AsyncAPI contract', () => {
  it('is a valid AsyncAPI 3.0 document (checked by @asyncapi/parser)', async () => {
    const { document, diagnostics } = await new Parser().parse(asyncApiYaml());
    const errors = diagnostics.filter((d) => d.severity === 0);
    assert.deepEqual(errors.map((d) => `${d.path.join('.')}: ${d.message}`), []);
    assert.ok(document, 'parsed');
    assert.equal(document.version(), '3.0.0');
    assert.equal(document.channels().length, MESSAGES.length);
    const sent = document.operations().filterBySend().map((o) => o.id());
    const received = document.operations().filterByReceive().map((o) => o.id());
    assert.ok(sent.includes('publishOee') && sent.includes('publishAgentStatus') && sent.includes('publishOutboxDrop'), sent.join());
    assert.deepEqual(received.sort(), ['receiveDowntimeReasonCommand', 'receiveJobCommand']);
  });

  it('covers every event kind the agent publishes, plus status, commands and replies', () => {
    const addresses = MESSAGES.map((m) => m.address);
    for (const kind of EVENT_KINDS) assert.ok(addresses.includes(`{machine}/${kind}`), `${kind} has a channel`);
    for (const a of ['_agent/{agentId}/status', '{machine}/cmd/job', '{machine}/cmd/downtime-reason', '{machine}/cmd/{command}/reply']) assert.ok(addresses.includes(a), a);
  });

  it('has examples that pass both the zod schema and the generated JSON Schema', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    for (const m of MESSAGES) {
      const zod = m.payload.safeParse(m.example);
      assert.ok(zod.success, `${m.id}: ${zod.success ? '' : zod.error.message}`);
      const validate = ajv.compile(payloadJsonSchema(m));
      assert.ok(validate(m.example), `${m.id}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it('the JSON Schemas reject what the zod schemas reject (a wrong type, an unknown field, a wrong schema id)', () => {
    const ajv = new Ajv({ strict: false });
    addFormats.default(ajv);
    const oee = MESSAGES.find((m) => m.id === 'oee')!;
    const validate = ajv.compile(payloadJsonSchema(oee));
    const ex = oee.example as { data: Record<string, unknown> };
    for (const bad of [
      { ...ex, data: { ...ex.data, oee: '83%' } },
      { ...ex, data: { ...ex.data, surprise: 1 } },
      { ...ex, schema: 'lineside.oee/2' },
      { ...ex, seq: 0 },
    ]) {
      assert.equal(validate(bad), false, JSON.stringify(bad).slice(0, 80));
      assert.equal(oee.payload.safeParse(bad).success, false);
    }
  });

  it('maps topics to messages and nothing else', () => {
    const root = 'lineside/v1/acme/p1/hall/l1';
    assert.equal(messageForTopic(`${root}/press-1/oee`)?.message.id, 'oee');
    assert.equal(messageForTopic(`${root}/press-1/oee`)?.params.machine, 'press-1');
    assert.equal(messageForTopic(`${root}/press-1/event`)?.message.id, 'outboxDrop');
    assert.equal(messageForTopic(`${root}/_agent/edge-1/status`)?.message.id, 'agentStatus');
    assert.equal(messageForTopic(`${root}/press-1/cmd/job`)?.message.id, 'jobCommand');
    assert.equal(messageForTopic(`${root}/press-1/cmd/recipe/reply`)?.message.id, 'commandReply');
    assert.equal(messageForTopic(`${root}/press-1/cmd/recipe`), undefined);
    assert.equal(messageForTopic(`${root}/press-1/weather`), undefined);
    assert.equal(messageForTopic('lineside/v2/acme/p1/hall/l1/press-1/oee'), undefined);
  });

  it('lists every command reply code of the registry in the reply message', () => {
    const doc = asyncApiDocument() as { components: { messages: Record<string, { description?: string }> } };
    const text = doc.components.messages.commandReply!.description ?? '';
    for (const [code, info] of Object.entries(ERRORS)) if ((info.where as readonly string[]).includes('command-reply')) assert.ok(text.includes(code), code);
  });
});
