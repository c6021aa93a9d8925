// Read API of the destinations: each one's backlog, rate and last error, and its dead letters.
import { z } from 'zod';
import { E } from '../errors.ts';
import type { Destination } from './destination.ts';
import type { Outbox } from '../outbox/outbox.ts';
import { msgId } from '../contract/envelope.ts';
import { deadLettersQuery, type destinationSummary } from '../http/destinations-schema.ts';
import { decodeCursor, fillPage, linkHeader } from '../http/page.ts';
import { query } from '../http/query.ts';
import { HttpError, type Router } from '../http/router.ts';

export interface DestinationsApiDeps {
  agentId: string;
  destinations: () => readonly Destination[];
  outbox: Pick<Outbox, 'listDeadLetters'>;
}

const seqKey = z.tuple([z.number().int().nonnegative()]);
const iso = (t: number) => new Date(t).toISOString();

export function registerDestinationsApi(router: Router, d: DestinationsApiDeps): void {
  const find = (name: string) => {
    const dest = d.destinations().find((x) => x.name === name);
    if (!dest) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, `no destination "${name.slice(0, 128)}" on this agent`);
    return dest;
  };
  router
    .get('/api/v1/destinations', () => {
      const destinations = d.destinations().map((dest): z.infer<typeof destinationSummary> => {
        const s = dest.stats();
        return {
          name: s.name, type: s.type, up: s.up, depth: s.depth, oldestAgeSeconds: s.oldestAgeMs / 1000, rate: s.rate,
          etaSeconds: s.etaSeconds ?? null, sent: s.sent, acked: s.acked, deadLetters: s.deadLetters, lastError: s.lastError ?? null,
        };
      });
      return { status: 200, body: { destinations } };
    })
    .get('/api/v1/destinations/{name}/dead-letters', (ctx) => {
      const name = find(ctx.params.name!).name;
      const q = query(ctx, deadLettersQuery);
      const after = decodeCursor(q.cursor, seqKey)?.[0] ?? 0;
      const rows = d.outbox.listDeadLetters(name, after, q.limit + 1);
      const page = fillPage(rows, q.limit, (r) => ({ seq: r.seq, msgId: msgId(d.agentId, r.seq), machine: r.machine, kind: r.kind, schema: r.schema, ts: iso(r.ts), at: iso(r.at), code: r.code, reason: r.reason }), (r) => [r.seq]);
      const path = `/api/v1/destinations/${encodeURIComponent(name)}/dead-letters`;
      return { status: 200, body: { destination: name, deadLetters: page.items, next: page.next }, headers: linkHeader(path, ctx.url, page.next) };
    });
}
