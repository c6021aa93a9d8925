import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { COMMAND_ERRORS, replyCode } from '../../../agent/commands/errors.ts';
import { encodeEnvelope, envelopeSchema } from '../../../agent/contract/envelope.ts';
import { commandReplyTopic, commandSubscription, machineTopic, parseCommandTopic, statusTopic } from '../../../agent/contract/topics.ts';

const root = { enterprise: 'acme', site: 'p1', area: 'hall', line: 'l1' };

describe('contract', () => {
  it('builds the v1 topics', () => {
    assert.equal(machineTopic(root, 'press-1', 'oee'), 'lineside/v1/acme/p1/hall/l1/press-1/oee');
    assert.equal(statusTopic(root, 'edge-7'), 'lineside/v1/acme/p1/hall/l1/_agent/edge-7/status');
    assert.equal(commandReplyTopic(root, 'press-1', 'job'), 'lineside/v1/acme/p1/hall/l1/press-1/cmd/job/reply');
    assert.equal(commandSubscription(root), 'lineside/v1/acme/p1/hall/l1/+/cmd/+');
    assert.deepEqual(parseCommandTopic(root, 'lineside/v1/acme/p1/hall/l1/press-1/cmd/job'), { machine: 'press-1', name: 'job' });
    assert.equal(parseCommandTopic(root, 'lineside/v1/acme/p1/hall/l1/press-1/cmd/job/reply'), undefined);
    assert.equal(parseCommandTopic(root, 'lineside/v1/other/p1/hall/l1/press-1/cmd/job'), undefined);
  });

  it('encodes an envelope that the schema accepts, body untouched', () => {
    const text = encodeEnvelope('edge-7', { seq: 42, machine: 'press-1', schema: 'lineside.oee/1', ts: Date.UTC(2026, 0, 2, 3, 4, 5, 6), body: '{"oee":0.61,"note":"a \\"quoted\\" word"}' }, Date.UTC(2026, 0, 2, 3, 4, 6), true);
    const env = envelopeSchema.parse(JSON.parse(text));
    assert.deepEqual(env, { schema: 'lineside.oee/1', msgId: 'edge-7:42', seq: 42, ts: '2026-01-02T03:04:05.006Z', sentAt: '2026-01-02T03:04:06.000Z', machine: 'press-1', replay: true, data: { oee: 0.61, note: 'a "quoted" word' } });
  });

  it('maps the pipeline\'s result codes to LS_ reply codes', () => {
    assert.equal(replyCode('unknown-event'), 'LS_CMD_UNKNOWN_EVENT');
    assert.equal(replyCode('not-running'), 'LS_CMD_UNAVAILABLE');
    assert.equal(replyCode('LS_CMD_UNAVAILABLE'), 'LS_CMD_UNAVAILABLE');
    assert.equal(replyCode('some new-thing'), 'LS_CMD_REJECTED', 'unregistered codes never reach a reply');
  });

  it('documents every command error code in docs/STORE-AND-FORWARD.md', () => {
    const doc = readFileSync(new URL('../../../docs/STORE-AND-FORWARD.md', import.meta.url), 'utf8');
    for (const code of Object.keys(COMMAND_ERRORS)) assert.ok(doc.includes(`\`${code}\``), `${code} documented`);
    const documented = [...doc.matchAll(/`(LS_CMD_[A-Z_]+)`/g)].map((m) => m[1]!);
    for (const code of documented) assert.ok(code in COMMAND_ERRORS, `${code} in the docs exists in the code`);
  });
});
