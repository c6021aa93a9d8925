import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataType, DataValue, StatusCodes, Variant } from 'node-opcua';
import { SourceClock } from '../../../drivers/opcua/source-time.ts';
import { toReading } from '../../../drivers/opcua/values.ts';
import { captureLog } from '../../helpers/capture-log.ts';

describe('OPC UA source clock', () => {
  it('logs a far-off server clock once when it starts and once when it ends, not while it hovers at the limit', () => {
    let t = 1_000_000;
    const logged = captureLog('info');
    const clock = new SourceClock({ maxSkewMs: 60_000, log: logged.log, now: () => t });
    const server = (offset: number) => clock.observe(new Date(t + offset));
    server(59_000);
    assert.equal(clock.trusted, true);
    server(-61_000);
    server(-61_500);
    assert.equal(clock.trusted, false);
    server(-59_500); // inside the limit, not yet by the margin
    assert.equal(clock.trusted, false);
    server(-58_000);
    assert.equal(clock.trusted, true);
    assert.deepEqual(logged.lines.map((l) => [l.level, l.offsetMs]), [[40, -61_000], [30, -58_000]]);
    assert.match(String(logged.lines[0]!.msg), /61 s behind the agent's/);
  });

  it('ignores responses without a timestamp, and readings with none keep the receive time', () => {
    const logged = captureLog('info');
    const clock = new SourceClock({ maxSkewMs: 1000, log: logged.log, now: () => 5_000_000 });
    clock.observe(null);
    clock.observe(new Date(Date.UTC(1601, 0, 1)));
    assert.equal(clock.offsetMs, undefined);
    assert.equal(clock.trusted, true);
    // DateTime 0 is OPC UA's "no timestamp".
    const dv = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 1 }), statusCode: StatusCodes.Good, sourceTimestamp: new Date(Date.UTC(1601, 0, 1)) });
    const r = toReading('a', dv, 4_000_000);
    assert.equal(r.sourceTs, undefined);
    assert.equal(clock.stamp([r])[0]!.ts, 4_000_000);
  });
});
