import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, SECRET_KEYS } from '../../../agent/log.ts';
import { markedPaths } from '../../../config/schema-at.ts';
import { configSchema } from '../../../config/schema/index.ts';

function logOnce(obj: Record<string, unknown>): string {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', stream: { write: (s: string) => void lines.push(s) } });
  log.child({ machine: 'm1' }).info(obj, 'connecting');
  assert.equal(lines.length, 1);
  return lines[0]!;
}

describe('logger', () => {
  it('writes JSON lines and never writes secrets', () => {
    const text = logOnce({ mqtt: { url: 'mqtt://x', password: 'hunter2' }, auth: { type: 'username', password: 'pw-opcua' }, token: 'tok-123456789012345', key: 'PRIVATE' });
    const line = JSON.parse(text) as Record<string, unknown>;
    assert.equal(line.msg, 'connecting');
    assert.equal(line.machine, 'm1');
    for (const secret of ['hunter2', 'pw-opcua', 'tok-123456789012345', 'PRIVATE']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.equal((line.mqtt as Record<string, unknown>).url, 'mqtt://x');
  });

  it('masks the password of a logged URL', () => {
    const line = JSON.parse(logOnce({ url: 'mqtt://bob:hunter2@broker:1883' })) as Record<string, unknown>;
    assert.equal(line.url, 'mqtt://bob:***@broker:1883');
  });

  it('redacts every field the config schema marks secret', () => {
    // The key a logged object would carry: `secrets[]` is logged as `secrets`, a `headers.*` value under `headers`.
    const names = markedPaths(configSchema).filter((m) => m.hides === 'value').map((m) => m.path.split('.').filter((p) => p !== '*').pop()!.replace(/\[\]$/, ''));
    assert.ok(names.length >= 3, names.join());
    for (const name of names) assert.ok(SECRET_KEYS.includes(name), `${name} is secret in the schema but not redacted in logs`);
  });
});
