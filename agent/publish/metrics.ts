// Prometheus metrics of the way out: outbox depth and drops, the MQTT link, backlog replay
// progress and commands. Read at scrape time from the components' stats().
import type { Registry } from 'prom-client';
import { mirrorCounter, mirrorGauge } from '../http/mirror.ts';
import type { StoreAndForward } from './store-and-forward.ts';

export function registerStoreAndForwardMetrics(registry: Registry, out: StoreAndForward): void {
  const gauge = (name: string, help: string, value: () => number) => mirrorGauge(registry, { name, help, read: (emit) => emit({}, value()) });
  const counter = (name: string, help: string, value: () => number) => mirrorCounter(registry, { name, help, read: (emit) => emit({}, value()) });
  gauge('lineside_outbox_depth', 'Messages in the outbox (not yet acknowledged by the broker).', () => out.outbox.stats().depth);
  gauge('lineside_outbox_bytes', 'Payload bytes in the outbox (what buffer.maxBytes bounds).', () => out.outbox.stats().bytes);
  gauge('lineside_outbox_oldest_age_seconds', 'Age of the oldest message in the outbox.', () => out.outbox.stats().oldestAgeMs / 1000);
  counter('lineside_outbox_dropped_total', 'Messages dropped by the outbox bounds (each reported as an outbox-drop event).', () => out.outbox.stats().dropped);
  gauge('lineside_outbox_last_seq', 'Highest sequence number committed.', () => out.outbox.lastSeq);
  gauge('lineside_mqtt_connected', '1 when connected to the broker.', () => (out.publisher.connected ? 1 : 0));
  gauge('lineside_mqtt_inflight', 'Publishes awaiting PUBACK.', () => out.publisher.stats().inflight);
  counter('lineside_mqtt_published_total', 'Publishes sent (resends included).', () => out.publisher.stats().published);
  counter('lineside_mqtt_publish_errors_total', 'Publishes the broker refused or did not acknowledge (they stay in the outbox).', () => out.publisher.stats().errors);
  counter('lineside_mqtt_acked_total', 'Publishes acknowledged by the broker.', () => out.publisher.stats().acked);
  counter('lineside_mqtt_connects_total', 'Successful connections to the broker.', () => out.publisher.stats().connects);
  gauge('lineside_replay_remaining', 'Backlog messages still to replay after a reconnect.', () => out.publisher.stats().replay.remaining);
  gauge('lineside_replay_rate', 'Backlog replay rate (msg/s) over the last progress interval.', () => out.publisher.stats().replay.rate);
  gauge('lineside_replay_eta_seconds', 'Estimated time to finish the backlog replay (0 when none).', () => out.publisher.stats().replay.etaSeconds ?? 0);
  mirrorCounter(registry, {
    name: 'lineside_commands_total',
    help: 'Commands received from the MES, by result.',
    labelNames: ['result'],
    read: (emit) => {
      const s = out.commands.stats();
      emit({ result: 'accepted' }, s.accepted);
      emit({ result: 'rejected' }, s.rejected);
      emit({ result: 'duplicate' }, s.duplicates);
    },
  });
}
