import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dataDirProblem } from '../../../config/data-dir.ts';
import { tempDir } from '../../helpers/tmp.ts';

// Permission and read-only cases need another user or a read-only mount: test/integration/cli-config.test.ts.
describe('dataDirProblem', () => {
  it('accepts a writable directory, and one the agent can still create', () => {
    const dir = tempDir();
    assert.equal(dataDirProblem(dir), undefined);
    assert.equal(dataDirProblem(join(dir, 'not', 'yet')), undefined);
  });

  it('rejects a file where the directory should be', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data'), '');
    assert.equal(dataDirProblem(join(dir, 'data')), 'exists and is not a directory');
    assert.equal(dataDirProblem(join(dir, 'data', 'sub')), `cannot be created: ${join(dir, 'data')} is not a directory`);
  });

  it('sees through a symlink into /proc', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x'));
    symlinkSync('/proc/self', join(dir, 'x', 'link'));
    assert.match(dataDirProblem(join(dir, 'x', 'link', 'data')) ?? '', /inside \/proc, a kernel file system/);
  });
});
