import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../agent/log.ts';

describe('logger', () => {
  it('writes JSON lines and never writes secrets', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', stream: { write: (s: string) => void lines.push(s) } });
    log.child({ machine: 'm1' }).info({ mqtt: { url: 'mqtt://x', password: 'hunter2' }, auth: { type: 'username', password: 'pw-opcua' }, token: 'tok-123456789012345', key: 'PRIVATE' }, 'connecting');
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.msg, 'connecting');
    assert.equal(line.machine, 'm1');
    for (const secret of ['hunter2', 'pw-opcua', 'tok-123456789012345', 'PRIVATE']) assert.ok(!lines[0]!.includes(secret), `${secret} leaked: ${lines[0]}`);
    assert.equal((line.mqtt as Record<string, unknown>).url, 'mqtt://x');
  });
});
