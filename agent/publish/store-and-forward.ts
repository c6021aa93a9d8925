// Builds the way out of the agent from the configuration: outbox → publisher → broker, and
// commands back in. compose.ts and the test fixtures build it the same way.
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { CommandTarget } from '../events.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../lifecycle/component.ts';
import type { Incidents } from '../lifecycle/incident.ts';
import { VERSION } from '../version.ts';
import { CommandHandler } from '../commands/handler.ts';
import { Outbox } from '../outbox/outbox.ts';
import { Publisher } from './publisher.ts';

export interface StoreAndForward {
  outbox: Outbox;
  publisher: Publisher;
  commands: CommandHandler;
  /** In start order: the outbox first (sinks before sources), commands last. */
  components: Component[];
}

export function buildStoreAndForward(config: LinesideConfig, configHash: string, log: Logger, target: CommandTarget, now?: () => number, incidents?: Incidents): StoreAndForward {
  const outbox = new Outbox({
    dataDir: config.agent.dataDir,
    synchronous: config.buffer.synchronous,
    commitInterval: config.buffer.commitInterval,
    maxBytes: config.buffer.maxBytes,
    maxAge: config.buffer.maxAge,
    log,
    ...(now ? { now } : {}),
  });
  const publisher = new Publisher({ config: config.mqtt, agentId: config.agent.id, root: config.location, outbox, log, version: VERSION, configHash, ...(now ? { now } : {}), ...(incidents ? { incidents } : {}) });
  const commands = new CommandHandler({
    root: config.location,
    machines: config.machines.map((m) => m.id),
    target,
    log: outbox,
    transport: publisher,
    logger: log,
    ...(now ? { now } : {}),
  });
  return { outbox, publisher, commands, components: [outbox, publisher, commands] };
}
