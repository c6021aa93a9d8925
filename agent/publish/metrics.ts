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
  counter('lineside_outbox_write_failures_total', 'Commits and reads the outbox file refused (full disk, I/O errors); the first of each incident is logged.', () => out.outbox.stats().writeFailures);
  gauge('lineside_outbox_failing', '1 while the outbox file refuses writes (messages wait in memory).', () => (out.outbox.stats().failing ? 1 : 0));
  gauge('lineside_outbox_last_seq', 'Highest sequence number committed.', () => out.outbox.lastSeq);
  gauge('lineside_mqtt_connected', '1 when connected to the broker.', () => (out.publisher.connected ? 1 : 0));
  gauge('lineside_mqtt_inflight', 'Publishes awaiting PUBACK.', () => out.publisher.mqttStats().inflight);
  counter('lineside_mqtt_published_total', 'Publishes sent (resends included).', () => out.publisher.mqttStats().published);
  counter('lineside_mqtt_publish_errors_total', 'Publishes the broker refused or did not acknowledge (they stay in the outbox).', () => out.publisher.mqttStats().errors);
  counter('lineside_mqtt_acked_total', 'Publishes acknowledged by the broker.', () => out.publisher.mqttStats().acked);
  counter('lineside_mqtt_connects_total', 'Successful connections to the broker.', () => out.publisher.mqttStats().connects);
  gauge('lineside_replay_remaining', 'Backlog messages still to replay after a reconnect.', () => out.publisher.mqttStats().replay.remaining);
  gauge('lineside_replay_rate', 'Backlog replay rate (msg/s) over the last progress interval.', () => out.publisher.mqttStats().replay.rate);
  gauge('lineside_replay_eta_seconds', 'Estimated time to finish the backlog replay (0 when none).', () => out.publisher.mqttStats().replay.etaSeconds ?? 0);
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
  counter('lineside_commands_rate_limited_total', 'Commands rejected unread by the per-machine rate limit (also counted as rejected).', () => out.commands.stats().rateLimited);
  mirrorCounter(registry, {
    name: 'lineside_command_replies_dropped_total',
    help: 'Command replies not published: `overflow` when the reply queue was full during a flood (replies to rate-limited commands only), `unsent` when the broker did not acknowledge them.',
    labelNames: ['reason'],
    read: (emit) => {
      const r = out.commands.stats().replies;
      emit({ reason: 'overflow' }, r.overflow);
      emit({ reason: 'unsent' }, r.unsent);
    },
  });
}
