// The composition root: builds every component from the configuration and orders them.
// Start order is data-flow order reversed (sinks before sources), so nothing emits into
// a component that is not running yet; stop order is the reverse.
import { mkdirSync } from 'node:fs';
import type { LoadedConfig } from '../../config/loader.ts';
import type { Logger } from '../log.ts';
import { UNAVAILABLE_TARGET } from '../commands/handler.ts';
import { buildStoreAndForward, type StoreAndForward } from '../publish/store-and-forward.ts';
import type { Component } from './component.ts';
import { Fleet } from './fleet.ts';
import { LiveValues, fanOut } from './live-values.ts';
import { Runtime } from './runtime.ts';

export interface Agent {
  runtime: Runtime;
  fleet: Fleet;
  live: LiveValues;
  loaded: LoadedConfig;
  /** Outbox (the EventSink), publisher and command handler. */
  out: StoreAndForward;
}

export interface ComposeOptions {
  now?: () => number;
}

export function composeAgent(loaded: LoadedConfig, log: Logger, opts: ComposeOptions = {}): Agent {
  const { config } = loaded;
  const live = new LiveValues();
  const sink = fanOut([live], (err) => log.error({ err }, 'reading sink failed'));
  const fleet = new Fleet({ machines: config.machines, sink, log, dataDir: config.agent.dataDir, ...(opts.now ? { now: opts.now } : {}) });
  const dataDir: Component = {
    name: 'data-dir',
    async start() {
      mkdirSync(config.agent.dataDir, { recursive: true });
    },
    async stop() {},
  };
  // The pipeline (another branch) replaces UNAVAILABLE_TARGET and publishes into out.outbox.
  const out = buildStoreAndForward(config, loaded.hash, log, UNAVAILABLE_TARGET, opts.now);
  const runtime = new Runtime([dataDir, ...out.components, fleet], log);
  return { runtime, fleet, live, loaded, out };
}
