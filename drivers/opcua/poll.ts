// Poll mode: one Read per batch of at most the server's MaxNodesPerRead nodes, so a machine with
// more tags than the server allows per call still reads (instead of BadTooManyOperations).
import { AttributeIds, StatusCodes, VariableIds, type ClientSession, type DataValue } from 'node-opcua';
import type { OpcuaTagConfig } from '../../config/schema/index.ts';
import type { Reading } from '../driver.ts';
import { toReading } from './values.ts';

/** The server's MaxNodesPerRead operation limit; 0 when unlimited or not published. */
export async function readMaxNodesPerRead(session: ClientSession): Promise<number> {
  const dv = await session.read({ nodeId: VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead, attributeId: AttributeIds.Value });
  if (!dv.statusCode.equals(StatusCodes.Good)) return 0;
  const n = Number(dv.value.value);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (size <= 0 || items.length <= size) return [items.slice()];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class PollReader {
  readonly tags: readonly OpcuaTagConfig[];
  #batch: number;
  #requests = 0;

  constructor(tags: readonly OpcuaTagConfig[], maxNodesPerRead: number) {
    this.tags = tags;
    this.#batch = maxNodesPerRead;
  }

  /** Nodes per Read request actually used (0 = all at once). */
  get batchSize(): number {
    return this.#batch;
  }

  /** Read requests sent so far (tests check the split with it). */
  get requests(): number {
    return this.#requests;
  }

  async read(session: ClientSession, now: () => number): Promise<Reading[]> {
    const out: Reading[] = [];
    for (const part of chunk(this.tags, this.#batch)) {
      const values = await this.#readPart(session, part);
      const ts = now();
      part.forEach((tag, i) => out.push(toReading(tag.name, values[i]!, ts)));
    }
    return out;
  }

  async #readPart(session: ClientSession, part: OpcuaTagConfig[]): Promise<DataValue[]> {
    this.#requests++;
    try {
      return await session.read(part.map((t) => ({ nodeId: t.nodeId, attributeId: AttributeIds.Value })), 0);
    } catch (err) {
      // A server that under-reports its limit answers BadTooManyOperations: learn the lower
      // limit and retry in halves rather than fail the whole poll forever.
      if (part.length > 1 && /BadTooManyOperations/.test(String(err))) {
        this.#batch = Math.ceil(part.length / 2);
        const out: DataValue[] = [];
        for (const half of chunk(part, this.#batch)) out.push(...(await this.#readPart(session, half)));
        return out;
      }
      throw err;
    }
  }
}
