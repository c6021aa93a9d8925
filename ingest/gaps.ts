// Seq gaps per agent. Each agent's seqs are strictly increasing and never reused, so every seq up
// to the highest seen should be in `messages` — unless a drop report lists it. Instances of one
// group each see part of the stream, so the finder works on the database, not on what one
// instance saw; a transaction-level advisory lock per agent lets any instance run it.
//
// A hole may still fill: the replay lane delivers a backlog after live messages. A hole is
// therefore `open` from when it was first seen; it becomes `filled` when the seqs arrive,
// `explained` when drop reports cover it, and alerts (/readyz, metrics) only once it has stayed
// open longer than `gaps.alertAfter`.
import type pg from 'pg';
import { explain, merge, type Range } from './gap-ranges.ts';

export interface OpenGap {
  agentId: string;
  firstSeq: number;
  lastSeq: number;
  detectedAt: Date;
}

/** Seqs read per agent and pass; a longer backlog is worked through over several passes. */
const SCAN_LIMIT = 200_000;

export class GapFinder {
  readonly #pool: pg.Pool;
  readonly #alertAfterMs: number;

  constructor(pool: pg.Pool, alertAfterMs: number) {
    this.#pool = pool;
    this.#alertAfterMs = alertAfterMs;
  }

  /** One pass over every agent; returns the gaps open longer than alertAfter. */
  async check(): Promise<{ open: OpenGap[]; overdue: OpenGap[] }> {
    const { rows: agents } = await this.#pool.query<{ agent_id: string }>('SELECT DISTINCT agent_id FROM machines');
    for (const { agent_id } of agents) await this.#checkAgent(agent_id);
    const { rows } = await this.#pool.query<{ agent_id: string; first_seq: string; last_seq: string; detected_at: Date; overdue: boolean }>(
      `SELECT agent_id, first_seq, last_seq, detected_at, detected_at <= now() - ($1::double precision * interval '1 millisecond') AS overdue
       FROM seq_gaps WHERE status = 'open' ORDER BY agent_id, first_seq`,
      [this.#alertAfterMs],
    );
    const open = rows.map((r) => ({ agentId: r.agent_id, firstSeq: Number(r.first_seq), lastSeq: Number(r.last_seq), detectedAt: r.detected_at, overdue: r.overdue }));
    return { open: open.map(({ overdue: _, ...g }) => g), overdue: open.filter((g) => g.overdue).map(({ overdue: _, ...g }) => g) };
  }

  async #checkAgent(agentId: string): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const { rows: lock } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('lineside-gaps'), hashtext($1)) AS ok`, [agentId]);
      if (!lock[0]?.ok) return void (await client.query('ROLLBACK'));
      let { rows: st } = await client.query<{ contiguous_upto: string }>('SELECT contiguous_upto FROM agent_seqs WHERE agent_id = $1', [agentId]);
      if (!st.length) {
        // The first seq ever stored starts the watch: what came before this ingest existed is not a gap.
        const { rows } = await client.query<{ min: string | null }>('SELECT min(seq) AS min FROM messages WHERE agent_id = $1', [agentId]);
        if (rows[0]?.min == null) return void (await client.query('ROLLBACK'));
        st = [{ contiguous_upto: String(Number(rows[0].min) - 1) }];
        await client.query('INSERT INTO agent_seqs (agent_id, contiguous_upto, max_seq) VALUES ($1, $2, $2)', [agentId, st[0]!.contiguous_upto]);
      }
      const upto = Number(st[0]!.contiguous_upto);
      // Holes are found in SQL: only they come back, not every seq (at 20,000 messages/s, reading
      // each seq back into the ingest cost as much as writing it).
      const { rows: holeRows } = await client.query<{ a: string; b: string }>(
        `SELECT prev + 1 AS a, seq - 1 AS b FROM (
           SELECT seq, lag(seq, 1, $2::bigint) OVER (ORDER BY seq) AS prev FROM (SELECT seq FROM messages WHERE agent_id = $1 AND seq > $2 ORDER BY seq LIMIT $3) s
         ) w WHERE seq > prev + 1 ORDER BY 1`,
        [agentId, upto, SCAN_LIMIT],
      );
      const { rows: maxRows } = await client.query<{ max: string | null }>('SELECT max(seq) AS max FROM (SELECT seq FROM messages WHERE agent_id = $1 AND seq > $2 ORDER BY seq LIMIT $3) s', [agentId, upto, SCAN_LIMIT]);
      const found: Range[] = holeRows.map((r) => [Number(r.a), Number(r.b)]);
      const covered = found.length ? await this.#dropped(client, agentId, upto) : [];
      const open: Range[] = [];
      const explained: Range[] = [];
      for (const h of found) {
        const parts = explain(h, covered);
        open.push(...parts.open);
        explained.push(...parts.explained);
      }
      const maxSeq = maxRows[0]?.max == null ? upto : Number(maxRows[0].max);
      // The watermark passes everything that arrived or is explained, up to the first open hole.
      const newUpto = open.length ? open[0]![0] - 1 : maxSeq;
      await this.#recordGaps(client, agentId, upto, open, explained);
      await client.query('UPDATE agent_seqs SET contiguous_upto = $2, max_seq = GREATEST(max_seq, $3), updated_at = now() WHERE agent_id = $1', [agentId, newUpto, maxSeq]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async #dropped(client: pg.PoolClient, agentId: string, after: number): Promise<Range[]> {
    const { rows } = await client.query<{ seqs: Array<[number, number]> }>('SELECT seqs FROM drop_reports WHERE agent_id = $1', [agentId]);
    return merge(rows.flatMap((r) => r.seqs).filter(([, b]) => b > after));
  }

  async #recordGaps(client: pg.PoolClient, agentId: string, after: number, open: Range[], explained: Range[]): Promise<void> {
    const { rows: prev } = await client.query<{ first_seq: string; last_seq: string; detected_at: Date }>(
      `SELECT first_seq, last_seq, detected_at FROM seq_gaps WHERE agent_id = $1 AND status = 'open'`,
      [agentId],
    );
    const old = prev.map((p) => ({ a: Number(p.first_seq), b: Number(p.last_seq), at: p.detected_at }));
    const now = new Date();
    const keep = new Set<string>();
    for (const [a, b] of open) {
      // A hole that shrank (part of it arrived) keeps the time it was first seen.
      const overlapping = old.filter((o) => o.a <= b && o.b >= a);
      const at = overlapping.reduce((m, o) => (o.at < m ? o.at : m), now);
      const same = overlapping.find((o) => o.a === a && o.b === b);
      if (same) keep.add(`${a}-${b}`);
      else await client.query(`INSERT INTO seq_gaps (agent_id, first_seq, last_seq, status, detected_at) VALUES ($1, $2, $3, 'open', $4) ON CONFLICT (agent_id, first_seq, last_seq) DO UPDATE SET status = 'open', closed_at = NULL, detected_at = EXCLUDED.detected_at, updated_at = now()`, [agentId, a, b, at]);
      keep.add(`${a}-${b}`);
    }
    for (const o of old) {
      if (keep.has(`${o.a}-${o.b}`)) continue;
      const nowExplained = explained.some(([a, b]) => a <= o.a && b >= o.b);
      await client.query(`UPDATE seq_gaps SET status = $4, closed_at = now(), updated_at = now() WHERE agent_id = $1 AND first_seq = $2 AND last_seq = $3`, [agentId, o.a, o.b, nowExplained ? 'explained' : 'filled']);
    }
    for (const [a, b] of explained) {
      if (a <= after) continue;
      await client.query(`INSERT INTO seq_gaps (agent_id, first_seq, last_seq, status, detected_at, closed_at) VALUES ($1, $2, $3, 'explained', now(), now()) ON CONFLICT (agent_id, first_seq, last_seq) DO UPDATE SET status = 'explained', closed_at = now(), updated_at = now()`, [agentId, a, b]);
    }
  }
}
