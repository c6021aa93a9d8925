// A machine runner polls for months: nothing a poll allocates may outlive it. Thousands of polls
// of a wide machine must leave the heap, after a forced GC, where it was.
import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import type { MachineConfig } from '../../../config/schema/index.ts';
import type { Driver, Reading } from '../../../drivers/driver.ts';
import { MachineRunner } from '../../../agent/machines/machine-runner.ts';
import { tempDir } from '../../helpers/tmp.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TAGS = 400;

/** A device with many tags: every poll hands over a fresh array, as a real driver does. */
function wideDriver(): Driver {
  let n = 0;
  return {
    async connect() {},
    async read() {
      n++;
      const ts = Date.now();
      return Array.from({ length: TAGS }, (_, i): Reading => ({ tag: `tag-${i}`, value: n + i, quality: 'good', ts }));
    },
    async close() {},
  };
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

it('holds no memory per poll: heap after GC stays flat over thousands of polls', async () => {
  const polls = new EventEmitter();
  let count = 0;
  const runner = new MachineRunner({
    machine: { id: 'wide', driver: 'sim', pollInterval: 1, idealCycleTime: 1000 } as unknown as MachineConfig,
    createDriver: async () => wideDriver(),
    sink: {
      readings: () => {
        count++;
        polls.emit('poll');
      },
      link: () => {},
    },
    log: pino({ level: 'silent' }),
    dataDir: tempDir(),
  });
  const until = async (n: number): Promise<void> => {
    while (count < n) await once(polls, 'poll');
  };
  runner.start();
  try {
    await until(500);
    const before = heapAfterGc();
    await until(4500);
    const after = heapAfterGc();
    const growth = after - before;
    // 4000 polls of 400 readings: a leak of even one poll's array each time is over 100 MB.
    assert.ok(growth < 8 * 2 ** 20, `heap grew by ${(growth / 2 ** 20).toFixed(1)} MiB over 4000 polls`);
  } finally {
    await runner.stop();
  }
});
