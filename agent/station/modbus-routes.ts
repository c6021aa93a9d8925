// The Modbus probe of the commissioning view (admin): read a few registers or bits of a device
// and see them decoded as every type in every byte order, as `lineside modbus read --json` does,
// so the engineer can match the HMI value and copy `type` and `byteOrder` into the configuration.
// Modbus TCP and RTU over TCP (a serial line is the CLI's). A device the agent already polls is
// probed over the agent's own link (one connection per device, as many devices allow).
import { z } from 'zod';
import { E } from '../errors.ts';
import { HttpError, type Router } from '../http/router.ts';
import type { Station } from './station.ts';

export const probeRequest = z.strictObject({
  host: z.string().min(1).max(253).describe('Device or gateway host.'),
  port: z.number().int().min(1).max(65535).default(502),
  transport: z.enum(['tcp', 'rtu-over-tcp']).default('tcp'),
  unit: z.number().int().min(0).max(255).default(1),
  area: z.enum(['holding', 'input', 'coil', 'discrete']),
  address: z.number().int().min(0).max(65535).describe('Zero-based start address.'),
  count: z.number().int().min(1).max(125).default(4).describe('Registers (or bits) to read.'),
  timeoutMs: z.number().int().min(100).max(10_000).default(1000),
});

export const probeResponse = z.strictObject({
  unit: z.number().int(),
  area: z.string(),
  address: z.number().int(),
  data: z.array(z.union([z.number(), z.boolean()])).describe('Raw registers (0..65535) or bits.'),
  decodings: z
    .array(z.strictObject({ start: z.number().int(), type: z.string(), order: z.string(), value: z.union([z.number(), z.string()]) }))
    .describe('Registers only: every 16/32/64-bit type in every byte order at every start address (64-bit integers beyond 2^53 as decimal strings).'),
});

export function registerModbusRoutes(router: Router, st: Station): void {
  router.post('/api/v1/modbus/probe', async (ctx) => {
    const parsed = probeRequest.safeParse(ctx.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HttpError(422, E.LS_HTTP_PAYLOAD_INVALID, `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    }
    const q = parsed.data;
    // Loaded on demand: an agent without Modbus machines never loads the Modbus stack otherwise.
    const [{ acquireLink, releaseLink }, { allDecodings }] = await Promise.all([import('../../drivers/modbus/link.ts'), import('../../drivers/modbus/decodings.ts')]);
    const link = acquireLink({ transport: q.transport, host: q.host, port: q.port, pipelineDepth: 1, interFrameDelay: 0 });
    const target = { host: q.host, port: q.port, unit: q.unit, area: q.area, address: q.address, count: q.count };
    try {
      await link.open(Math.max(q.timeoutMs, 1000));
      const data = await link.read(q.unit, q.area, q.address, q.count, q.timeoutMs);
      st.audit(ctx.principal!, 'modbus-probe', null, 'ok', target);
      const bits = q.area === 'coil' || q.area === 'discrete';
      return { status: 200, body: { unit: q.unit, area: q.area, address: q.address, data, decodings: bits ? [] : allDecodings(q.address, data as number[]) } };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      st.audit(ctx.principal!, 'modbus-probe', null, 'failed', { ...target, error: message.slice(0, 300) });
      throw new HttpError(502, E.LS_HTTP_PROBE_FAILED, `${q.host}:${q.port} unit ${q.unit}: ${message.slice(0, 300)}`);
    } finally {
      await releaseLink(link);
    }
  }, { role: 'admin', body: true });
}
