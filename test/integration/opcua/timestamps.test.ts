// A reading's ts is when the value changed by the server's SourceTimestamp, not when the agent
// received it; never later than receipt, never earlier than the tag's previous reading, and the
// receive time while the server's clock is more than maxClockSkew off (logged once each way).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { opcuaConnectionSchema } from '../../../config/schema/opcua.ts';
import { OpcuaDriver } from '../../../drivers/opcua/driver.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Recorder } from './fixtures.ts';
import { startTestServer, type TestServer } from './servers.ts';

const TAGS = [{ name: 'temp', nodeId: 'ns=1;s=Temp' }];

describe('OPC UA source timestamps', () => {
  let server: TestServer;
  const dir = tempDir('lineside-opcua-ts-');

  before(async () => {
    server = await startTestServer({ pkiDir: `${dir}/server-pki`, variables: ['Temp'] });
  });
  after(async () => {
    await server?.stop();
  });

  for (const mode of ['poll', 'subscribe'] as const) {
    it(`${mode}: ts is the SourceTimestamp, clamped to receipt and to the tag's previous reading`, async () => {
      const rec = new Recorder();
      const driver = new OpcuaDriver(opcuaConnectionSchema.parse({ endpoint: server.endpoint, mode, publishingInterval: '50ms', samplingInterval: '20ms' }), TAGS);
      // Each step writes a value with a source time and returns the reading that carries it.
      const step = async (value: number, source: Date) => {
        server.set('Temp', value, source);
        if (mode === 'poll') return (await driver.read())[0]!;
        await rec.until(() => rec.latest.get('temp')?.value === value, `value ${value}`);
        return rec.latest.get('temp')!;
      };
      try {
        await driver.connect(rec.context(`${dir}/agent-${mode}`));
        if (mode === 'subscribe') await driver.subscribe();

        const changed = new Date(Date.now() - 20_000);
        const first = await step(1, changed);
        assert.equal(first.sourceTs, changed.getTime());
        assert.equal(first.ts, changed.getTime(), 'the value changed 20 s before it was read: ts says so');

        // A PLC a minute fast (inside maxClockSkew): the fact cannot have happened after receipt.
        const fast = new Date(Date.now() + 60_000);
        const readBefore = Date.now();
        const second = await step(2, fast);
        assert.equal(second.sourceTs, fast.getTime());
        assert.ok(second.ts >= readBefore && second.ts <= Date.now(), `ts ${second.ts} is the receive time`);

        // The PLC's clock is stepped back: the tag's readings still run forward.
        const third = await step(3, new Date(Date.now() - 60_000));
        assert.equal(third.ts, second.ts);
      } finally {
        await driver.close();
      }
    });
  }

  it('timestamps: receive stamps every reading with its receive time and keeps the source time as sourceTs', async () => {
    const driver = new OpcuaDriver(opcuaConnectionSchema.parse({ endpoint: server.endpoint, mode: 'poll', timestamps: 'receive' }), TAGS);
    try {
      await driver.connect(new Recorder().context(`${dir}/agent-receive`));
      const src = new Date(Date.now() - 20_000);
      server.set('Temp', 5, src);
      const readBefore = Date.now();
      const r = (await driver.read())[0]!;
      assert.equal(r.sourceTs, src.getTime());
      assert.ok(r.ts >= readBefore && r.ts <= Date.now(), `ts ${r.ts} is the receive time`);
    } finally {
      await driver.close();
    }
  });

  it('uses the receive time while the server clock is far off, and logs it once when it starts and once when it ends', async () => {
    // The agent's clock is the one moved: the server's (this process's Date) cannot be. An agent
    // 10 minutes behind sees a server 10 minutes ahead.
    let agentOffset = 0;
    const now = () => Date.now() + agentOffset;
    const logged = captureLog('info');
    const rec = new Recorder();
    const driver = new OpcuaDriver(opcuaConnectionSchema.parse({ endpoint: server.endpoint, mode: 'poll', maxClockSkew: '1m' }), TAGS);
    try {
      await driver.connect({ ...rec.context(`${dir}/agent-skew`, now), log: logged.log });
      // Older than the agent's moved clock will read, so the tag's order does not hold ts back.
      const src = new Date(Date.now() - 900_000);
      server.set('Temp', 10, src);
      assert.equal((await driver.read())[0]!.ts, src.getTime());

      agentOffset = -600_000;
      for (let i = 0; i < 3; i++) {
        const before = now();
        const r = (await driver.read())[0]!;
        assert.ok(r.ts >= before && r.ts <= now(), `read ${i}: ts ${r.ts} is the agent's receive time`);
        assert.equal(r.sourceTs, src.getTime(), 'the source timestamp is kept');
      }
      assert.equal(driver.sourceClock!.trusted, false);

      agentOffset = 0;
      const later = new Date(Date.now() - 1000);
      server.set('Temp', 11, later);
      await driver.read();
      assert.equal((await driver.read())[0]!.ts, later.getTime(), 'source timestamps again once the clocks agree');
    } finally {
      await driver.close();
    }
    const clockLines = logged.lines.filter((l) => /OPC UA server clock/.test(String(l.msg)));
    assert.deepEqual(clockLines.map((l) => l.level), [40, 30], JSON.stringify(clockLines));
    assert.match(String(clockLines[0]!.msg), /10 min ahead of the agent's, more than maxClockSkew/);
    assert.ok(Math.abs(Number(clockLines[0]!.offsetMs) - 600_000) < 5000, String(clockLines[0]!.offsetMs));
  });
});
