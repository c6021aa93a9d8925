// The read API: machines with their live state (LiveValues, link status, pipeline) and the
// history of closed OEE periods and downtime events from the pipeline's SQLite file.
import { z } from 'zod';
import type { LinesideConfig } from '../../config/schema/index.ts';
import { E } from '../errors.ts';
import type { PipelineComponent } from '../pipeline-store/component.ts';
import type { HistoryPage, HistoryRow, PipelineStore } from '../pipeline-store/store.ts';
import type { Fleet } from '../machines/fleet.ts';
import type { LiveValues } from '../machines/live-values.ts';
import { historyQuery, machinesQuery, oeeQuery, type MachineDetail, type MachineSummary } from './api-schema.ts';
import { decodeCursor, fillPage, linkHeader } from './page.ts';
import { query } from './query.ts';
import { HttpError, type Router } from './router.ts';

export interface ReadApiDeps {
  config: LinesideConfig;
  fleet: Fleet;
  live: LiveValues;
  pipeline: PipelineComponent;
  now?: () => number;
}

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();

/** What a cursor carries: the last machine id of a page, or the (start, id) of the last history row. */
const machineKey = z.tuple([z.string()]);
const historyKey = z.tuple([z.number().int(), z.string()]);

/** `rows` holds one more than the page, so the page knows whether another follows. */
const historyPage = (rows: HistoryRow[], limit: number) => fillPage(rows, limit, (r) => r.body, (r) => [r.start, r.id]);

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

  const store = () => {
    const s = d.pipeline.store;
    if (!s) throw new HttpError(503, E.LS_HTTP_UNAVAILABLE, 'the pipeline history is not open (agent starting or stopping)');
    return s;
  };

  /** A route listing a machine's history between `from` and `to`, a page at a time, under `field` in the body. */
  const history = <S extends z.ZodType<z.infer<typeof historyQuery>>>(path: string, schema: S, field: string, rows: (st: PipelineStore, machine: string, from: number, to: number, q: z.infer<S>, page: HistoryPage) => HistoryRow[]) =>
    router.get(path, (ctx) => {
      const q = query(ctx, schema);
      const machine = known(q.machine);
      const { from, to } = window(q, now());
      const after = decodeCursor(q.cursor, historyKey);
      const page = historyPage(rows(store(), machine, from, to, q, { ...(after ? { after } : {}), limit: q.limit + 1 }), q.limit);
      return { status: 200, body: { machine, from: iso(from), to: iso(to), [field]: page.items, next: page.next }, headers: linkHeader(path, ctx.url, page.next) };
    });

  router
    .get('/api/v1/machines', (ctx) => {
      const q = query(ctx, machinesQuery);
      const ids = [...machines.keys()];
      const after = decodeCursor(q.cursor, machineKey);
      const start = after === undefined ? 0 : ids.indexOf(after[0]) + 1;
      if (start === 0 && after !== undefined) throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, 'cursor: names a machine this agent no longer has; start again without cursor');
      const page = fillPage(ids.slice(start, start + q.limit + 1), q.limit, summary, (id) => [id]);
      return { status: 200, body: { machines: page.items, next: page.next }, headers: linkHeader('/api/v1/machines', ctx.url, page.next) };
    })
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
    });
  history('/api/v1/oee', oeeQuery, 'periods', (st, m, from, to, q, page) => st.periods(m, from, to, q.period, page));
  history('/api/v1/states', historyQuery, 'intervals', (st, m, from, to, _q, page) => st.states(m, from, to, page));
  history('/api/v1/downtime', historyQuery, 'events', (st, m, from, to, _q, page) => st.downtime(m, from, to, page));
}
