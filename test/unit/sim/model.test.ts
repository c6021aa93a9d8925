import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SIM_MODE, SimMachine, type SimSettings } from '../../../drivers/sim/model.ts';

const SETTINGS: SimSettings = { seed: 42, cycleTime: 1000, rejectRate: 0.05, faultsPerHour: 4, meanFaultDuration: 120_000, changeoversPerHour: 0.5, microStopsPerHour: 6, counterWidth: 32 };
const T0 = Date.UTC(2026, 0, 5, 6);
const HOUR = 3_600_000;

describe('simulated machine', () => {
  it('gives the same day whatever the step size', () => {
    const coarse = new SimMachine(SETTINGS, T0);
    const fine = new SimMachine(SETTINGS, T0);
    for (let t = T0; t <= T0 + 8 * HOUR; t += 997) fine.advance(t);
    assert.deepEqual(fine.advance(T0 + 8 * HOUR), coarse.advance(T0 + 8 * HOUR));
  });

  it('produces parts near the cycle time and stops for faults, micro-stops and changeovers', () => {
    const m = new SimMachine(SETTINGS, T0);
    const modes = new Set<number>();
    const faults = new Set<number>();
    let runningMs = 0;
    for (let t = T0; t < T0 + 8 * HOUR; t += 1000) {
      const s = m.advance(t);
      modes.add(s.mode);
      if (s.faultCode) faults.add(s.faultCode);
      if (s.running) runningMs += 1000;
    }
    const s = m.snapshot();
    assert.deepEqual([...modes].sort(), [0, 1, 2, 3], `modes ${[...modes].join(',')}`);
    assert.ok(faults.size > 0, 'no fault in 8 h');
    // Parts follow running time at 95..100 % of the nominal rate.
    assert.ok(s.partCount > (runningMs / 1000) * 0.9 && s.partCount <= runningMs / 1000 + 1, `${s.partCount} parts in ${runningMs} ms running`);
    assert.ok(s.rejectCount > 0 && s.rejectCount < s.partCount * 0.1, `${s.rejectCount} rejects`);
    assert.ok(runningMs < 8 * HOUR * 0.98 && runningMs > 8 * HOUR * 0.5, `ran ${runningMs} ms`);
  });

  it('wraps 16-bit counters', () => {
    const m = new SimMachine({ ...SETTINGS, cycleTime: 50, faultsPerHour: 0, microStopsPerHour: 0, changeoversPerHour: 0, counterWidth: 16 }, T0);
    const s = m.advance(T0 + 70_000 * 52);
    // 3,640 s at 50..52.6 ms a part is 69,200..72,800 parts: past 65,535, so the counter wrapped.
    assert.ok(s.partCount > 69_200 - 65_536 && s.partCount < 72_800 - 65_536, `wrapped count ${s.partCount}`);
  });

  it('different seeds give different days', () => {
    const a = new SimMachine(SETTINGS, T0).advance(T0 + HOUR);
    const b = new SimMachine({ ...SETTINGS, seed: 43 }, T0).advance(T0 + HOUR);
    assert.notDeepEqual(a, b);
  });
});
