import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { freePort } from '../../helpers/mosquitto.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('lineside ingest (command line)', () => {
  it('a bad central.yaml: every problem with its line and path, exit 1', async () => {
    const file = join(tempDir(), 'central.yaml');
    writeFileSync(file, 'mqtt: { url: "http://x", clientId: a }\npostgres: { url: "postgres://x@y/z" }\ngaps: { alertAfter: soon }\nbogus: 1\n');
    const r = await runCli(['ingest', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /central\.yaml:1:14 mqtt\.url: expected an mqtt:\/\//);
    assert.match(r.stderr, /central\.yaml:3:21 gaps\.alertAfter: expected a duration/);
    assert.match(r.stderr, /central\.yaml:4:1 bogus: unknown key/);
    assert.match(r.stderr, /3 problems/);
  });

  it('a database that is not there: one fatal line and exit 3 (systemd retries)', async () => {
    const file = join(tempDir(), 'central.yaml');
    writeFileSync(file, `mqtt: { url: "mqtt://127.0.0.1:1", clientId: a }\npostgres: { url: "postgres://x@127.0.0.1:${await freePort()}/z" }\nhttp: { port: 0 }\n`);
    const r = await runCli(['ingest', '--config', file]);
    assert.equal(r.code, 3);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: number });
    assert.deepEqual(lines.map((l) => l.msg), ['ingest could not start']);
    assert.match(JSON.stringify(lines[0]), /ECONNREFUSED/);
  });
});
