import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkItem, isBitArea, planReads, type Area, type PlanItem, type PlanLimits } from '../../../drivers/modbus/planner.ts';

/** Exhaustive minimum: fewest groups of tags such that each group fits one request. */
function minimumRequests(items: PlanItem[], limits: PlanLimits): number {
  let total = 0;
  for (const area of ['coil', 'discrete', 'holding', 'input'] as Area[]) {
    const mine = items.filter((i) => i.area === area);
    const n = mine.length;
    if (!n) continue;
    const max = isBitArea(area) ? limits.maxBits : limits.maxRegisters;
    const fits = (mask: number): boolean => {
      const group = mine.filter((_, i) => mask & (1 << i)).sort((a, b) => a.address - b.address);
      const start = group[0]!.address;
      let end = start;
      for (const g of group) {
        if (g.address - end > limits.maxGap) return false;
        end = Math.max(end, g.address + g.width);
      }
      return end - start <= max;
    };
    const best = new Array<number>(1 << n).fill(Infinity);
    best[0] = 0;
    for (let mask = 1; mask < 1 << n; mask++) {
      const low = mask & -mask;
      for (let sub = mask; sub; sub = (sub - 1) & mask) if (sub & low && fits(sub)) best[mask] = Math.min(best[mask]!, best[mask ^ sub]! + 1);
    }
    total += best[(1 << n) - 1]!;
  }
  return total;
}

function assertCovers(items: PlanItem[], limits: PlanLimits) {
  const plan = planReads(items, limits);
  const seen = new Set<number>();
  for (const r of plan) {
    assert.ok(r.count <= (isBitArea(r.area) ? limits.maxBits : limits.maxRegisters), `request too large: ${JSON.stringify(r)}`);
    for (const { index, offset } of r.items) {
      const it = items[index]!;
      assert.equal(it.area, r.area);
      assert.equal(r.address + offset, it.address);
      assert.ok(offset + it.width <= r.count, 'tag must lie inside its request');
      seen.add(index);
    }
  }
  assert.equal(seen.size, items.length, 'every tag is read');
  return plan;
}

const limits: PlanLimits = { maxRegisters: 125, maxBits: 2000, maxGap: 16 };
const item = (index: number, area: Area, address: number, width: number): PlanItem => ({ index, area, address, width });

describe('modbus planner', () => {
  it('merges neighbours, splits on gaps, areas and the size limit', () => {
    const items = [item(0, 'holding', 0, 2), item(1, 'holding', 2, 1), item(2, 'holding', 10, 4), item(3, 'holding', 100, 1), item(4, 'input', 0, 1), item(5, 'coil', 0, 1), item(6, 'coil', 1999, 1)];
    const plan = assertCovers(items, limits);
    assert.deepEqual(
      plan.map((r) => [r.area, r.address, r.count]),
      [['coil', 0, 1], ['coil', 1999, 1], ['holding', 0, 14], ['holding', 100, 1], ['input', 0, 1]],
    );
    const small = assertCovers(items, { ...limits, maxRegisters: 8 });
    assert.deepEqual(small.filter((r) => r.area === 'holding').map((r) => [r.address, r.count]), [[0, 3], [10, 4], [100, 1]]);
  });

  it('a gap of exactly maxGap is read through, one more is not', () => {
    assert.equal(planReads([item(0, 'holding', 0, 1), item(1, 'holding', 17, 1)], limits).length, 1);
    assert.equal(planReads([item(0, 'holding', 0, 1), item(1, 'holding', 18, 1)], limits).length, 2);
    assert.equal(planReads([item(0, 'holding', 0, 1), item(1, 'holding', 1, 1)], { ...limits, maxGap: 0 }).length, 1);
  });

  it('bit tags sharing a register share a request', () => {
    const plan = planReads([item(0, 'holding', 5, 1), item(1, 'holding', 5, 1), item(2, 'holding', 4, 2)], limits);
    assert.deepEqual(plan.map((r) => [r.address, r.count, r.items.length]), [[4, 2, 3]]);
  });

  it('rejects a tag that cannot fit one request or the address space', () => {
    assert.match(checkItem(item(0, 'holding', 0, 10), { ...limits, maxRegisters: 8 })!, /at most 8/);
    assert.match(checkItem(item(0, 'holding', 65535, 2), limits)!, /past the last address/);
    assert.equal(checkItem(item(0, 'holding', 65534, 2), limits), undefined);
  });

  it('request count equals the exhaustive minimum (property)', () => {
    const arbItem = fc.record({
      area: fc.constantFrom<Area>('holding', 'input', 'coil'),
      address: fc.integer({ min: 0, max: 60 }),
      width: fc.constantFrom(1, 1, 2, 4, 6),
    });
    fc.assert(
      fc.property(fc.array(arbItem, { minLength: 1, maxLength: 9 }), fc.integer({ min: 4, max: 20 }), fc.integer({ min: 0, max: 6 }), (raw, max, gap) => {
        const items = raw.map((r, index) => ({ ...r, index, width: isBitArea(r.area) ? 1 : Math.min(r.width, max) }));
        const lim = { maxRegisters: max, maxBits: max * 2, maxGap: gap };
        const plan = assertCovers(items, lim);
        assert.equal(plan.length, minimumRequests(items, lim));
      }),
      { numRuns: 400 },
    );
  });
});
