import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataType, DataValue, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { qualityOf, toReading } from '../../../drivers/opcua/values.ts';
import { chunk } from '../../../drivers/opcua/poll.ts';
import { SilenceWatchdog, silenceLimit } from '../../../drivers/opcua/watchdog.ts';
import { firstDer } from '../../../drivers/opcua/session.ts';
import { formatFingerprint, normaliseFingerprint } from '../../../drivers/opcua/pki.ts';

describe('OPC UA values', () => {
  it('derives quality from the severity bits of the status code', () => {
    assert.equal(qualityOf(StatusCodes.Good), 'good');
    assert.equal(qualityOf(StatusCodes.UncertainLastUsableValue), 'uncertain');
    assert.equal(qualityOf(StatusCodes.BadNodeIdUnknown), 'bad');
    assert.equal(qualityOf(StatusCodes.BadCommunicationError), 'bad');
  });

  it('maps values, keeps the source timestamp and drops the value of a bad reading', () => {
    const src = new Date('2026-01-05T06:00:00.123Z');
    const dv = (dataType: DataType, value: unknown, statusCode = StatusCodes.Good) => new DataValue({ value: new Variant({ dataType, arrayType: VariantArrayType.Scalar, value }), statusCode, sourceTimestamp: src });
    assert.deepEqual(toReading('a', dv(DataType.UInt32, 42), 5), { tag: 'a', value: 42, quality: 'good', ts: 5, sourceTs: src.getTime() });
    assert.equal(toReading('b', dv(DataType.Boolean, true), 5).value, true);
    assert.equal(toReading('c', dv(DataType.UInt64, [1, 2]), 5).value, 2 ** 32 + 2);
    assert.equal(toReading('c', dv(DataType.Int64, [0xffffffff, 0xfffffffe]), 5).value, -2);
    assert.equal(toReading('d', dv(DataType.String, 'x'), 5).value, 'x');
    assert.equal(toReading('e', dv(DataType.DateTime, src), 5).value, src.toISOString());
    const arr = new DataValue({ value: new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1.5, 2] }) });
    assert.equal(toReading('f', arr, 5).value, '[1.5,2]');
    const bad = toReading('g', dv(DataType.UInt32, 7, StatusCodes.BadSensorFailure), 5);
    assert.deepEqual([bad.value, bad.quality], [null, 'bad']);
    assert.equal(toReading('h', dv(DataType.Double, 1.25, StatusCodes.UncertainSensorNotAccurate), 5).quality, 'uncertain');
  });
});

describe('OPC UA helpers', () => {
  it('chunks by a limit, and keeps everything together when the limit is 0', () => {
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(chunk([1, 2, 3], 0), [[1, 2, 3]]);
    assert.deepEqual(chunk([], 4), [[]]);
  });

  it('flags a subscription silent only after the limit', () => {
    let t = 0;
    const w = new SilenceWatchdog(silenceLimit(100, 3), () => t);
    assert.equal(w.limitMs, 2000, 'never shorter than 2 s');
    t = 2000;
    assert.equal(w.isSilent(), false);
    t = 2001;
    assert.equal(w.isSilent(), true);
    w.touch();
    assert.equal(w.isSilent(), false);
    assert.equal(silenceLimit(1000, 10), 30_000);
  });

  it('normalises fingerprints and cuts the first certificate off a DER chain', () => {
    assert.equal(normaliseFingerprint('ab:cd'), 'ABCD');
    assert.equal(formatFingerprint('abcdef'), 'AB:CD:EF');
    const one = Buffer.from([0x30, 0x82, 0x00, 0x02, 0xaa, 0xbb]);
    assert.deepEqual(firstDer(Buffer.concat([one, Buffer.from([0x30, 0x01, 0xcc])])), one);
    const short = Buffer.from([0x30, 0x01, 0x05]);
    assert.deepEqual(firstDer(Buffer.concat([short, one])), short);
  });
});
