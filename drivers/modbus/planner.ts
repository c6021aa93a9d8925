// Merges a machine's tags into as few read requests as the device allows.
//
// Per area, tags sorted by address are packed greedily: a request starts at the first tag not yet
// covered and takes every following tag while the request stays within the size limit and the
// unused stretch before the tag is at most `maxGap`. For one area this greedy cover is minimal
// (any plan must start a request at or before the first uncovered tag; extending it as far as the
// limits allow never leaves more work for the rest), and a unit test checks it against an
// exhaustive search.

export type Area = 'holding' | 'input' | 'coil' | 'discrete';

export interface PlanItem {
  /** Index of the tag in the caller's list. */
  index: number;
  area: Area;
  address: number;
  /** Registers (or bits for coils / discrete inputs). */
  width: number;
}

export interface PlanLimits {
  /** Most registers per request (protocol: 125). */
  maxRegisters: number;
  /** Most bits per request (protocol: 2000). */
  maxBits: number;
  /** Unused registers (bits) a request may read through between two tags. */
  maxGap: number;
}

export interface ReadRequest {
  area: Area;
  address: number;
  count: number;
  /** Tags answered by this request, with their offset in the response. */
  items: Array<{ index: number; offset: number }>;
}

export const AREA_ORDER: readonly Area[] = ['coil', 'discrete', 'holding', 'input'];

export function isBitArea(area: Area): boolean {
  return area === 'coil' || area === 'discrete';
}

/** Check a tag fits a request and the address space; returns a message naming the problem or undefined. */
export function checkItem(item: PlanItem, limits: PlanLimits): string | undefined {
  const max = isBitArea(item.area) ? limits.maxBits : limits.maxRegisters;
  if (item.width > max) return `needs ${item.width} ${isBitArea(item.area) ? 'bits' : 'registers'} but one request may read at most ${max}`;
  if (item.address + item.width > 65536) return `runs past the last address 65535 (${item.address} + ${item.width})`;
  return undefined;
}

export function planReads(items: readonly PlanItem[], limits: PlanLimits): ReadRequest[] {
  const requests: ReadRequest[] = [];
  for (const area of AREA_ORDER) {
    const max = isBitArea(area) ? limits.maxBits : limits.maxRegisters;
    const sorted = items.filter((i) => i.area === area).sort((a, b) => a.address - b.address || b.width - a.width);
    let current: ReadRequest | undefined;
    let end = 0;
    for (const item of sorted) {
      const itemEnd = item.address + item.width;
      if (current && Math.max(end, itemEnd) - current.address <= max && item.address - end <= limits.maxGap) {
        current.items.push({ index: item.index, offset: item.address - current.address });
        end = Math.max(end, itemEnd);
        current.count = end - current.address;
        continue;
      }
      current = { area, address: item.address, count: item.width, items: [{ index: item.index, offset: 0 }] };
      end = itemEnd;
      requests.push(current);
    }
  }
  return requests;
}
