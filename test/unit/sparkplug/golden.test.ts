// Golden vectors (test/cases/sparkplug/golden.json): the encoder writes exactly the checked-in
// bytes, and the test side's own decoder (built separately from the vendored .proto) reads them as
// the checked-in JSON. The agent's decoder (for NCMD/DCMD) reads them back too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodePayload, encodePayload, type SpPayload } from '../../../agent/destinations/sparkplug/payload.ts';
import { decode, valueOf } from '../../integration/sparkplug/decoder.ts';

const read = <T>(f: string) => JSON.parse(readFileSync(new URL(`../../cases/sparkplug/${f}`, import.meta.url), 'utf8')) as T;
const inputs = read<Array<{ name: string; payload: SpPayload }>>('inputs.json');
const golden = read<Array<{ name: string; hex: string; decoded: unknown }>>('golden.json');

describe('Sparkplug B payload golden vectors', () => {
  it('covers every input', () => {
    assert.deepEqual(golden.map((g) => g.name), inputs.map((i) => i.name));
  });
  for (const { name, payload } of inputs) {
    const g = golden.find((x) => x.name === name)!;
    it(`${name}: encodes to the checked-in bytes, which decode independently to the checked-in JSON`, () => {
      assert.equal(Buffer.from(encodePayload(payload)).toString('hex'), g.hex);
      assert.deepEqual(decode(Buffer.from(g.hex, 'hex')), g.decoded);
    });
    it(`${name}: round-trips through the agent's own decoder`, () => {
      const back = decodePayload(Buffer.from(g.hex, 'hex'));
      assert.equal(back.seq, payload.seq);
      assert.equal(back.timestamp, payload.timestamp);
      assert.deepEqual(back.metrics.map((m) => m.name), payload.metrics.map((m) => m.name));
      payload.metrics.forEach((m, i) => {
        const got = back.metrics[i]!;
        assert.equal(got.datatype, m.datatype);
        if (m.value === null) assert.equal(got.isNull, true);
        // Signed ints travel as uint32 two's complement (as Tahu writes them); the value is what the datatype says.
        else if (m.datatype === 2) assert.equal((got.value as number) | 0, m.value);
        else if (m.datatype === 9) assert.equal(Math.fround(got.value as number), Math.fround(m.value as number));
        else assert.equal(got.value, m.value);
      });
    });
  }
  it('nulls carry is_null and no value (tck-id-operational-behavior-data-publish-dbirth-values)', () => {
    const d = decode(Buffer.from(golden.find((g) => g.name === 'dbirth-nulls')!.hex, 'hex'));
    const m = d.metrics!.find((x) => x.name === 'OEE/Shift/OEE')!;
    assert.equal(m.isNull, true);
    assert.equal(m.doubleValue, undefined);
    assert.equal(valueOf(m), null);
  });
  it('NDEATH has no seq (tck-id-topics-ndeath-seq)', () => {
    assert.equal(decode(Buffer.from(golden.find((g) => g.name === 'ndeath')!.hex, 'hex')).seq, undefined);
  });
});
