// Builds the way out of the agent from the configuration: outbox → publisher → broker, and
// commands back in. compose.ts and the test fixtures build it the same way.
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { CommandTarget } from '../events.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../lifecycle/component.ts';
import type { Destination } from '../destinations/destination.ts';
import type { Incidents } from '../lifecycle/incident.ts';
import { VERSION } from '../version.ts';
import { CommandHandler } from '../commands/handler.ts';
import { Outbox } from '../outbox/outbox.ts';
import { MQTT_DESTINATION, Publisher } from './publisher.ts';
import type { SparkplugDestination } from '../destinations/sparkplug/sparkplug.ts';

export interface StoreAndForward {
  outbox: Outbox;
  publisher: Publisher;
  commands: CommandHandler;
  /** The Sparkplug B edge node, when `sparkplug` is configured and enabled. */
  sparkplug?: SparkplugDestination;
  /** Every way out, each with its cursor in the outbox: MQTT first. */
  destinations: Destination[];
  /** In start order: the outbox first (sinks before sources), commands last. */
  components: Component[];
}

/**
 * Webhooks and Sparkplug are imported only when configured: each pulls in modules (http/https with
 * undici, protobufjs) that an agent without them would carry for nothing (bench/footprint.ts).
 */
export async function buildStoreAndForward(config: LinesideConfig, configHash: string, log: Logger, target: CommandTarget, now?: () => number, incidents?: Incidents): Promise<StoreAndForward> {
  const wh = config.webhooks.length ? await import('../destinations/webhook/webhook.ts') : undefined;
  const sp = config.sparkplug?.enabled
    ? { ...(await import('../destinations/sparkplug/sparkplug.ts')), ...(await import('../destinations/sparkplug/device-config.ts')) }
    : undefined;
  const spb = sp?.resolveSparkplug(config);
  const outbox = new Outbox({
    dataDir: config.agent.dataDir,
    synchronous: config.buffer.synchronous,
    commitInterval: config.buffer.commitInterval,
    maxBytes: config.buffer.maxBytes,
    maxAge: config.buffer.maxAge,
    destinations: [{ name: MQTT_DESTINATION, strict: config.mqtt.ordering === 'strict' }, ...(wh ? config.webhooks.map(wh.webhookSpec) : []), ...(sp && spb ? [sp.sparkplugSpec(spb)] : [])],
    log,
    ...(now ? { now } : {}),
  });
  const publisher = new Publisher({ config: config.mqtt, agentId: config.agent.id, root: config.location, outbox, log, version: VERSION, configHash, ...(now ? { now } : {}), ...(incidents ? { incidents } : {}) });
  const webhooks = (wh ? config.webhooks : []).map((w) => new wh!.WebhookDestination({ config: w, agentId: config.agent.id, outbox, log, ...(now ? { now } : {}), ...(incidents ? { incidents } : {}) }));
  const commands = new CommandHandler({
    root: config.location,
    machines: config.machines.map((m) => m.id),
    target,
    log: outbox,
    transport: publisher,
    logger: log,
    rate: { perSecond: config.mqtt.commandRate, burst: config.mqtt.commandBurst },
    // Replies go ahead of the outbox in the in-flight window; a quarter of it keeps data flowing under a flood.
    replyWindow: Math.max(1, Math.floor(config.mqtt.inflight / 4)),
    ...(now ? { now } : {}),
  });
  // After the commands it feeds (DCMD), so it stops first: NDEATH goes out while everything still runs.
  const sparkplug = sp && spb && new sp.SparkplugDestination({ settings: spb, machines: config.machines, dataDir: config.agent.dataDir, agentId: config.agent.id, version: VERSION, outbox, commands, log, ...(now ? { now } : {}), ...(incidents ? { incidents } : {}) });
  return { outbox, publisher, commands, ...(sparkplug ? { sparkplug } : {}), destinations: [publisher, ...webhooks, ...(sparkplug ? [sparkplug] : [])], components: [outbox, publisher, ...webhooks, commands, ...(sparkplug ? [sparkplug] : [])] };
}
