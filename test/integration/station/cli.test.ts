import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { PASSWORD_HASH } from '../../../config/schema/agent.ts';
import { verifyPassword } from '../../../agent/station/password.ts';
import { BIN, ROOT } from '../../helpers/cli.ts';

const run = (input: string) => spawnSync(process.execPath, [BIN, 'station', 'hash-password'], { cwd: ROOT, input, encoding: 'utf8' });

describe('lineside station hash-password', () => {
  it('hashes the first line of stdin into the format http.users takes', async () => {
    const r = run('s3cret-line-pass\nignored second line\n');
    assert.equal(r.status, 0, r.stderr);
    const hash = r.stdout.trim();
    assert.match(hash, PASSWORD_HASH);
    assert.equal(await verifyPassword('s3cret-line-pass', hash), true);
    assert.equal(await verifyPassword('ignored second line', hash), false);
  });

  it('refuses a short password (exit 2) and never takes one from the command line', () => {
    const r = run('short\n');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /at least 8 characters/);
    const argv = spawnSync(process.execPath, [BIN, 'station', 'hash-password', 'my-password'], { cwd: ROOT, input: '', encoding: 'utf8' });
    assert.notEqual(argv.status, 0);
    assert.doesNotMatch(argv.stdout, /scrypt\$/);
  });
});
