import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsv } from '../../../agent/replay/csv.ts';
import { parseJsonLines } from '../../../agent/replay/jsonl.ts';
import { replayConfig } from './setup.ts';

const config = replayConfig();
const values = (text: string) => {
  const input = parseCsv(text, config);
  assert.deepEqual(input.problems, []);
  return input.lines.map((l) => ('reading' in l ? [l.reading.tag, l.reading.value, l.reading.quality] : l));
};

describe('replay CSV input', () => {
  it('types values by their text, quoted or not; empty is no value, with quality bad', () => {
    const csv = [
      'timestamp,machine,tag,value',
      '2026-11-23T06:00:00,m1,Press.Count,42',
      '2026-11-23T06:00:00,m1,Press.Count,-1.5e3',
      '2026-11-23T06:00:00,m1,Press.Count,"0.25"',
      '2026-11-23T06:00:00,m1,Press.Running,TRUE',
      '2026-11-23T06:00:00,m1,Press.Running,false',
      '2026-11-23T06:00:00,m1,Press.Mode,',
      '2026-11-23T06:00:00,m1,Press.Mode,""',
      '2026-11-23T06:00:00,m1,Press.Mode,"RUN, auto ""B"""',
      '2026-11-23T06:00:00,m1,Press.Mode,0x10',
    ].join('\n');
    assert.deepEqual(values(csv), [
      ['Press.Count', 42, 'good'],
      ['Press.Count', -1500, 'good'],
      ['Press.Count', 0.25, 'good'],
      ['Press.Running', true, 'good'],
      ['Press.Running', false, 'good'],
      ['Press.Mode', null, 'bad'],
      ['Press.Mode', null, 'bad'],
      ['Press.Mode', 'RUN, auto "B"', 'good'],
      ['Press.Mode', '0x10', 'good'],
    ]);
  });

  it('reads the columns by the header, in any order and case, with an optional quality; BOM and CRLF are fine', () => {
    const csv = '\ufeffValue,Tag,quality,TIMESTAMP,machine\r\n7,Press.Count,uncertain,2026-11-23T06:00:00Z,m1\r\n8,Press.Count,,2026-11-23T06:00:10Z,m1\r\n';
    const input = parseCsv(csv, config);
    assert.deepEqual(input.problems, []);
    assert.deepEqual(input.lines, [
      { ts: Date.parse('2026-11-23T06:00:00Z'), machine: 'm1', reading: { tag: 'Press.Count', value: 7, quality: 'uncertain', ts: Date.parse('2026-11-23T06:00:00Z') } },
      { ts: Date.parse('2026-11-23T06:00:10Z'), machine: 'm1', reading: { tag: 'Press.Count', value: 8, quality: 'good', ts: Date.parse('2026-11-23T06:00:10Z') } },
    ]);
  });

  it('gives the same lines as the JSON lines it stands for', () => {
    const csv = 'timestamp,machine,tag,value\n2026-11-23 06:00:00,m1,Press.Running,true\n2026-11-23 06:00:00,m1,Press.Count,12\n2026-11-23 06:00:10,m1,Press.Count,\n';
    const jsonl = [
      '{"ts":"2026-11-23T05:00:00Z","machine":"m1","tag":"Press.Running","value":true}',
      '{"ts":1795410000000,"machine":"m1","tag":"Press.Count","value":12,"quality":"good"}',
      '{"ts":"2026-11-23T06:00:10+01:00","machine":"m1","tag":"Press.Count","value":null,"quality":"bad"}',
    ].join('\n');
    assert.deepEqual(parseCsv(csv, config).lines, parseJsonLines(jsonl, config).lines);
    assert.equal(parseCsv(csv, config).lines.length, 3);
  });

  it('lists every problem with the line it starts on', () => {
    const csv = [
      'timestamp,machine,tag,value,quality',
      '2026-11-23T06:00:00,m1,Press.Count,1,good',
      '2026-11-23T06:00:00,m3,"Press.Mode","two',
      'lines",good',
      '2026-11-23T06:00:00,m2,Press.Count,1,good',
      '2026-11-23T05:00:00,m1,Press.Count,1,good',
      '2026-11-23T06:00:00,m1,Press.Count,1',
      '2026-11-23T06:00:00,m1,,1,good',
      '2026-11-23T06:00:00,m1,Press.Count,,good',
      '2026-11-23T06:00:00,m1,Press.Count,1,Good',
      '2026-03-29T02:30:00,m1,Press.Count,1,good',
    ].join('\n');
    assert.deepEqual(parseCsv(csv, config).problems, [
      'line 3: machine: expected one of m1, got "m3"',
      'line 5: machine: expected one of m1, got "m2"',
      'line 6: timestamp: goes back in time (lines must be in time order)',
      'line 7: expected 5 fields as in the header, got 4',
      'line 8: tag: expected a tag name',
      'line 9: quality: an empty value has quality bad, got "good"',
      'line 10: quality: expected good | bad | uncertain, got "Good"',
      'line 11: timestamp: "2026-03-29T02:30:00" does not exist in Europe/Berlin (the clocks skip it); give the time with its offset',
    ]);
  });

  it('names unknown and missing columns, and a quoting error, by line', () => {
    assert.deepEqual(parseCsv('time,machine,tag,value,unit\n', config).problems, [
      'line 1: column "time": unknown; expected timestamp, machine, tag, value, quality',
      'line 1: column "unit": unknown; expected timestamp, machine, tag, value, quality',
      'line 1: header: missing column timestamp (expected a header row: timestamp,machine,tag,value[,quality])',
    ]);
    assert.deepEqual(parseCsv('timestmp,machine,tag,value\n', config).problems.slice(0, 1), ['line 1: column "timestmp": unknown; did you mean "timestamp"?']);
    assert.deepEqual(parseCsv('timestamp,machine,tag,value\n2026-11-23T06:00:00,m1,Press.Count,"1"2\n', config).problems, [
      'line 2: not CSV: Invalid Closing Quote: got "2" instead of delimiter, record delimiter, trimable character (if activated) or comment',
    ]);
  });
});
