// Prometheus metrics of one ingest instance (its own registry: the agent's metrics are not here).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchStats } from './batcher.ts';
import type { WriteResult } from './store.ts';

export class IngestMetrics implements BatchStats {
  readonly registry = new Registry();
  readonly messages = new Counter({ name: 'lineside_ingest_messages_total', help: 'Messages handled, by result: inserted, duplicate (msgId already stored), quarantined, ignored (commands to agents).', labelNames: ['result'], registers: [this.registry] });
  readonly batchSeconds = new Histogram({ name: 'lineside_ingest_batch_seconds', help: 'Time to write and commit one batch.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry] });
  readonly batchRows = new Histogram({ name: 'lineside_ingest_batch_messages', help: 'Messages per committed batch.', buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000], registers: [this.registry] });
  readonly pending = new Gauge({ name: 'lineside_ingest_unacknowledged_messages', help: 'Messages received and not yet committed (not yet PUBACKed).', registers: [this.registry] });
  readonly dbUp = new Gauge({ name: 'lineside_ingest_database_up', help: '1 while the last write committed, 0 while writes fail.', registers: [this.registry] });
  readonly mqttUp = new Gauge({ name: 'lineside_ingest_broker_up', help: '1 while connected and subscribed.', registers: [this.registry] });
  readonly gapsOpen = new Gauge({ name: 'lineside_ingest_seq_gaps_open', help: 'Open (unexplained) seq gaps per agent.', labelNames: ['agent'], registers: [this.registry] });
  readonly gapSeqsOpen = new Gauge({ name: 'lineside_ingest_seq_gap_seqs_open', help: 'Seqs in open gaps per agent.', labelNames: ['agent'], registers: [this.registry] });
  readonly agents = new Gauge({ name: 'lineside_ingest_agents', help: 'Agents by their retained status (online, offline).', labelNames: ['status'], registers: [this.registry] });
  readonly gapsOverdue = new Gauge({ name: 'lineside_ingest_seq_gaps_overdue', help: 'Gaps open longer than gaps.alertAfter (all agents).', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lineside_ingest_' });
    this.dbUp.set(1);
  }

  onBatch(r: WriteResult, rows: number, seconds: number): void {
    this.messages.inc({ result: 'inserted' }, r.inserted);
    this.messages.inc({ result: 'duplicate' }, r.duplicates);
    this.messages.inc({ result: 'quarantined' }, r.quarantined);
    this.messages.inc({ result: 'ignored' }, r.ignored);
    this.batchSeconds.observe(seconds);
    this.batchRows.observe(rows);
  }

  onDbState(up: boolean): void {
    this.dbUp.set(up ? 1 : 0);
  }
}
