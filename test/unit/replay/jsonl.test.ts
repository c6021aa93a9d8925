import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonLines } from '../../../agent/replay/jsonl.ts';
import { replayConfig } from './setup.ts';

const config = replayConfig();
const T = '2026-11-23T06:00:00';
const parse = (lines: object[]) => parseJsonLines(lines.map((l) => JSON.stringify(l)).join('\n'), config);

describe('replay JSON lines', () => {
  it('reads readings by tag or signal, link changes and commands, in the calendar zone', () => {
    const { lines, problems } = parse([
      { ts: T, machine: 'm1', signal: 'partCount', value: 3 },
      { ts: T, machine: 'm1', tag: 'Other', value: 'x', quality: 'uncertain' },
      { ts: T, machine: 'm1', link: 'disconnected' },
      { ts: T, machine: 'm1', cmd: 'job', payload: { commandId: 'c1', action: 'end', orderId: 'PO-1' } },
    ]);
    assert.deepEqual(problems, []);
    const ts = Date.parse('2026-11-23T05:00:00Z');
    assert.deepEqual(lines, [
      { ts, machine: 'm1', reading: { tag: 'Press.Count', value: 3, quality: 'good', ts } },
      { ts, machine: 'm1', reading: { tag: 'Other', value: 'x', quality: 'uncertain', ts } },
      { ts, machine: 'm1', link: 'disconnected' },
      { ts, machine: 'm1', command: { name: 'job', body: { commandId: 'c1', action: 'end', orderId: 'PO-1' }, commandId: 'c1' } },
    ]);
  });

  it('names every field it does not know instead of ignoring it', () => {
    assert.deepEqual(parse([
      { ts: T, machine: 'm1', tag: 'Press.Count', value: 1, qualty: 'bad' },
      { ts: T, machine: 'm1', link: 'connected', since: T },
      { ts: T, machine: 'm1', tag: 'Press.Count', signal: 'partCount', value: 1 },
      { ts: T, machine: 'm1', signal: 'goodCount', value: 1 },
    ]).problems, [
      'line 1: qualty: unknown field; did you mean "quality"?',
      'line 2: since: unknown field; expected ts, machine, link',
      'line 3: signal: give tag or signal, not both',
      'line 4: signal: goodCount is not configured for m1',
    ]);
  });
});
