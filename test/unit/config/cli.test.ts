import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generatedDocs } from '../../../agent/cli/schema.ts';
import { ROOT, runCli } from '../../helpers/cli.ts';

describe('lineside validate / schema', () => {
  it('accepts the shipped example (exit 0)', async () => {
    const r = await runCli(['validate', '--config', 'config/examples/lineside.example.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid \(3 machines/);
  });

  it('lists five located problems of five different kinds and exits 1', async () => {
    const r = await runCli(['validate', '--config', 'test/cases/config/five-mistakes.yaml'], { env: { LINESIDE_TEST_UNSET_PASSWORD: '' } });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(lines, [
      'five-mistakes.yaml:3:3 agent.colour: unknown key',
      'five-mistakes.yaml:7:13 mqtt.password: environment variable LINESIDE_TEST_UNSET_PASSWORD is not set',
      'five-mistakes.yaml:8:8 mqtt.qos: expected 1 or 2, got 3',
      'five-mistakes.yaml:10:5 machines[0].idealCycleTime: missing; expected a duration like 500ms, 15s, 2m or 1h30m of at least 1ms',
      'five-mistakes.yaml:15:44 machines[1].connection.unitId: expected an integer 0..255, got "x"',
      '5 problems in test/cases/config/five-mistakes.yaml',
    ]);
  });

  it('fails with exit 1 on a file that does not exist', async () => {
    const r = await runCli(['validate', '--config', 'nope/lineside.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\/lineside\.yaml: cannot read: ENOENT/);
  });

  it('exits 2 on usage errors', async () => {
    const r = await runCli(['validate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /required option '-c, --config <file>'/);
  });

  it('prints the JSON Schema', async () => {
    const r = await runCli(['schema']);
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout) as { required: string[]; properties: Record<string, unknown> };
    assert.deepEqual([...schema.required].sort(), ['agent', 'location', 'machines', 'mqtt']);
  });

  it('keeps generated docs in step with the code (run `npm run gen` when this fails)', () => {
    for (const [path, content] of Object.entries(generatedDocs())) {
      assert.equal(readFileSync(join(ROOT, path), 'utf8'), content, `${path} is stale: run npm run gen`);
    }
  });
});
