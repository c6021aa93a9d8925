// The read API: machines with their live state (LiveValues, link status, pipeline) and the
// history of closed OEE periods and downtime events from the pipeline's SQLite file.
import type { z } from 'zod';
import type { LinesideConfig } from '../../config/schema/index.ts';
import { E } from '../errors.ts';
import type { PipelineComponent } from '../pipeline-store/component.ts';
import type { HistoryRow } from '../pipeline-store/store.ts';
import type { Fleet } from '../machines/fleet.ts';
import type { LiveValues } from '../machines/live-values.ts';
import { historyQuery, oeeQuery, type MachineDetail, type MachineSummary } from './api-schema.ts';
import { HttpError, type RequestContext, type Router } from './router.ts';

export interface ReadApiDeps {
  config: LinesideConfig;
  fleet: Fleet;
  live: LiveValues;
  pipeline: PipelineComponent;
  now?: () => number;
}

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();

/** Query parameters validated by a schema; every problem is a 400 naming the parameter. */
function query<T extends z.ZodType>(ctx: RequestContext, schema: T): z.infer<T> {
  const params: Record<string, string> = {};
  for (const [k, v] of ctx.url.searchParams) {
    if (k in params) throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, `${k}: given more than once`);
    params[k] = v;
  }
  const r = schema.safeParse(params);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || '(query)';
    throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, `${where}: ${issue.code === 'unrecognized_keys' ? 'unknown parameter' : issue.message}`);
  }
  return r.data;
}

function window(q: { from?: string | undefined; to?: string | undefined }, now: number): { from: number; to: number } {
  const to = q.to ? Date.parse(q.to) : now;
  const from = q.from ? Date.parse(q.from) : to - DAY;
  if (!(from < to)) throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, 'from: must be before to');
  return { from, to };
}

export function registerReadApi(router: Router, d: ReadApiDeps): void {
  const now = d.now ?? Date.now;
  const machines = new Map(d.config.machines.map((m) => [m.id, m]));
  const known = (id: string) => {
    if (!machines.has(id)) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, `no machine "${id.slice(0, 128)}" on this agent`);
    return id;
  };
  const runner = (id: string) => d.fleet.runners.find((r) => r.id === id);

  const summary = (id: string): MachineSummary => {
    const cfg = machines.get(id)!;
    const link = runner(id)?.status;
    const mp = d.pipeline.pipeline?.machine(id);
    const job = mp?.job;
    return {
      id,
      ...(cfg.name ? { name: cfg.name } : {}),
      driver: cfg.driver,
      link: { state: link?.state ?? 'stopped', since: iso(link?.since ?? now()), ...(link?.lastError ? { lastError: link.lastError } : {}) },
      state: mp ? { state: mp.state.state, since: iso(mp.state.since), ...(mp.state.faultCode !== undefined ? { faultCode: mp.state.faultCode } : {}) } : null,
      job: job ? { orderId: job.orderId, product: job.product, start: iso(job.start), idealCycleTimeMs: job.idealCycleTime, ...(job.targetQuantity !== undefined ? { targetQuantity: job.targetQuantity } : {}) } : null,
    };
  };

  const history = (rows: HistoryRow[]) => rows.map((r) => r.body);
  const store = () => {
    const s = d.pipeline.store;
    if (!s) throw new HttpError(503, E.LS_HTTP_UNAVAILABLE, 'the pipeline history is not open (agent starting or stopping)');
    return s;
  };

  router
    .get('/api/v1/machines', () => ({ status: 200, body: { machines: [...machines.keys()].map(summary) } }))
    .get('/api/v1/machines/{id}', (ctx) => {
      const id = known(ctx.params.id!);
      const link = runner(id)?.status;
      const live = d.live.get(id);
      const mp = d.pipeline.pipeline?.machine(id);
      const base = summary(id);
      const body: MachineDetail = {
        ...base,
        link: {
          ...base.link,
          polls: link?.polls ?? 0,
          pollErrors: link?.pollErrors ?? 0,
          reconnects: link?.reconnects ?? 0,
          overruns: link?.overruns ?? 0,
          ...(link?.lastPollMs !== undefined ? { lastPollMs: link.lastPollMs } : {}),
        },
        tags: Object.fromEntries(Object.entries(live?.tags ?? {}).map(([tag, r]) => [tag, { value: r.value, quality: r.quality, ts: iso(r.ts) }])),
        readings: live?.readings ?? 0,
        periods: (mp?.openPeriods() ?? []).flatMap((p) => {
          const f = mp!.figures(p.id);
          if (!f) return [];
          return [{
            periodId: p.id,
            kind: p.kind,
            ...(p.name ? { name: p.name } : {}),
            start: iso(p.start),
            end: p.end === null ? null : iso(p.end),
            availability: f.availability,
            performance: f.performance,
            quality: f.quality,
            oee: f.oee,
            counts: { total: f.counts.total, good: f.counts.good, reject: f.counts.reject },
            flags: f.flags,
          }];
        }),
      };
      return { status: 200, body };
    })
    .get('/api/v1/oee', (ctx) => {
      const q = query(ctx, oeeQuery);
      const machine = known(q.machine);
      const { from, to } = window(q, now());
      return { status: 200, body: { machine, from: iso(from), to: iso(to), periods: history(store().periods(machine, from, to, q.period)) } };
    })
    .get('/api/v1/downtime', (ctx) => {
      const q = query(ctx, historyQuery);
      const machine = known(q.machine);
      const { from, to } = window(q, now());
      return { status: 200, body: { machine, from: iso(from), to: iso(to), events: history(store().downtime(machine, from, to)) } };
    });
}
