// The `modbus` driver: one machine = one unit id on a (possibly shared) link. Each poll reads the
// planner's blocks and decodes every tag. Outcomes:
// - no answer, gateway exception (0x0A/0x0B), link down → read() throws: the runner marks the
//   machine offline and retries on its back-off; the unit's other queued requests are dropped so
//   the other units on the bus wait at most one timeout;
// - busy / acknowledge (0x06/0x05) → retried twice, then bad quality;
// - illegal address / value (0x02/0x03) on a merged block → the block is read tag by tag from then
//   on, so only the tags the device really lacks go bad;
// - other exceptions and damaged frames (CRC) → bad quality for the block's tags, logged once on
//   the transition and once on recovery.
import type { MachineConfig, ModbusConnectionConfig, ModbusTagConfig } from '../../config/schema/index.ts';
import type { Driver, DriverContext, Reading } from '../driver.ts';
import { CancelledError } from './bus-queue.ts';
import { decodeTagAt, tagWidth, type ByteOrder, type TagShape } from './codec.ts';
import { acquireLink, LinkDownError, ModbusExceptionError, ModbusTimeoutError, releaseLink, type ModbusLink } from './link.ts';
import { checkItem, planReads, type PlanItem, type ReadRequest } from './planner.ts';

type Tag = ModbusTagConfig & TagShape;

const BUSY_RETRIES = 2;
const BUSY_DELAY_MS = 25;

/** Errors that mean the unit (not one register) is unreachable. */
function unitUnreachable(err: unknown): boolean {
  if (err instanceof ModbusExceptionError) return err.code === 0x0a || err.code === 0x0b;
  return err instanceof ModbusTimeoutError || err instanceof LinkDownError || err instanceof CancelledError;
}

export function planFor(conn: ModbusConnectionConfig, tags: readonly ModbusTagConfig[]): ReadRequest[] {
  const items: PlanItem[] = tags.map((t, index) => ({ index, area: t.area, address: t.address, width: tagWidth(t) }));
  const limits = { maxRegisters: conn.maxRegisters, maxBits: conn.maxBits, maxGap: conn.maxGap };
  for (const item of items) {
    const problem = checkItem(item, limits);
    if (problem) throw new Error(`tag "${tags[item.index]!.name}" (${item.area} ${item.address}) ${problem}`);
  }
  return planReads(items, limits);
}

class ModbusDriver implements Driver {
  #conn: ModbusConnectionConfig;
  #tags: Tag[];
  #plan: ReadRequest[];
  /** Blocks the device refused as a whole, read tag by tag instead (with their single-tag requests). */
  #split = new Set<ReadRequest>();
  #singles = new Map<number, ReadRequest>();
  #failing = new Map<ReadRequest, string>();
  #link: ModbusLink | undefined;
  #ctx: DriverContext | undefined;

  constructor(conn: ModbusConnectionConfig, tags: readonly ModbusTagConfig[]) {
    this.#conn = conn;
    this.#tags = tags.map((t) => ({ ...t, byteOrder: (t.byteOrder ?? conn.byteOrder) as ByteOrder }));
    this.#plan = planFor(conn, tags);
  }

  /** Requests one poll makes (for benchmarks and diagnostics). */
  get plan(): readonly ReadRequest[] {
    return this.#plan;
  }

  async connect(ctx: DriverContext): Promise<void> {
    this.#ctx = ctx;
    if (!this.#link) {
      this.#link = acquireLink(this.#conn);
      this.#link.addUser(this.#conn.unitId);
    }
    await this.#link.open(Math.max(this.#conn.timeout, 1000));
  }

  async read(): Promise<Reading[]> {
    const link = this.#link;
    if (!link || !this.#ctx) throw new LinkDownError('not connected');
    const giveUp = new AbortController();
    const results = await Promise.allSettled(
      this.#plan.map((block) =>
        this.#readBlock(link, block, giveUp.signal).catch((err: unknown) => {
          giveUp.abort();
          throw err;
        }),
      ),
    );
    // Report the cause, not the requests cancelled because of it.
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length) throw failures.find((e) => !(e instanceof CancelledError)) ?? failures[0];
    // One array of the poll's size for its readings, not one per block and another to join them.
    let n = 0;
    for (const r of results) if (r.status === 'fulfilled') n += r.value.length;
    const out = new Array<Reading>(n);
    n = 0;
    for (const r of results) if (r.status === 'fulfilled') for (const reading of r.value) out[n++] = reading;
    return out;
  }

  async #readBlock(link: ModbusLink, block: ReadRequest, signal: AbortSignal): Promise<Reading[]> {
    if (this.#split.has(block)) {
      const parts = await Promise.all(block.items.map((it) => this.#readBlock(link, this.#single(block, it.index), signal)));
      return parts.flat();
    }
    try {
      const data = await this.#fetch(link, block, signal);
      this.#recovered(block);
      const ts = this.#ctx!.now();
      return block.items.map(({ index, offset }) => {
        const tag = this.#tags[index]!;
        // In place: a copy of each tag's words was an array per tag and poll.
        const { value, quality } = decodeTagAt(tag, data, offset);
        return { tag: tag.name, value, quality, ts };
      });
    } catch (err) {
      if (unitUnreachable(err)) throw err;
      if (err instanceof ModbusExceptionError && (err.code === 2 || err.code === 3) && block.items.length > 1) {
        // The device refuses to be read through a hole; ask tag by tag from now on.
        this.#ctx!.log.info({ area: block.area, address: block.address, count: block.count, err: err.message }, 'modbus block refused; reading its tags one by one');
        this.#split.add(block);
        return this.#readBlock(link, block, signal);
      }
      this.#failed(block, err);
      const ts = this.#ctx!.now();
      return block.items.map(({ index }) => ({ tag: this.#tags[index]!.name, value: null, quality: 'bad' as const, ts }));
    }
  }

  async #fetch(link: ModbusLink, block: ReadRequest, signal: AbortSignal): Promise<number[] | boolean[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await link.read(this.#conn.unitId, block.area, block.address, block.count, this.#conn.timeout, signal);
      } catch (err) {
        const busy = err instanceof ModbusExceptionError && (err.code === 5 || err.code === 6);
        const damaged = !(err instanceof ModbusExceptionError) && !unitUnreachable(err);
        if (attempt >= (busy ? BUSY_RETRIES : damaged ? 1 : 0)) throw err;
        if (busy) await new Promise((r) => setTimeout(r, BUSY_DELAY_MS * (attempt + 1)));
      }
    }
  }

  #single(block: ReadRequest, index: number): ReadRequest {
    const tag = this.#tags[index]!;
    let single = this.#singles.get(index);
    if (!single) {
      single = { area: block.area, address: tag.address, count: tagWidth(tag), items: [{ index, offset: 0 }] };
      this.#singles.set(index, single);
    }
    return single;
  }

  #failed(block: ReadRequest, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.#failing.has(block)) return;
    this.#failing.set(block, message);
    const tags = block.items.map((i) => this.#tags[i.index]!.name);
    this.#ctx!.log.warn({ area: block.area, address: block.address, count: block.count, tags, err: message }, 'modbus read failed; tags bad quality');
  }

  #recovered(block: ReadRequest): void {
    if (!this.#failing.delete(block)) return;
    this.#ctx!.log.info({ area: block.area, address: block.address, count: block.count }, 'modbus read recovered');
  }

  async close(): Promise<void> {
    const link = this.#link;
    this.#link = undefined;
    if (!link) return;
    link.removeUser(this.#conn.unitId);
    await releaseLink(link);
  }
}

export function createModbusDriver(machine: MachineConfig): Driver {
  if (machine.driver !== 'modbus') throw new Error(`modbus driver given a ${machine.driver} machine`);
  return new ModbusDriver(machine.connection, machine.tags);
}
