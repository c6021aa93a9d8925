// The composition root: builds every component from the configuration and orders them.
// Start order is data-flow order reversed (sinks before sources), so nothing emits into
// a component that is not running yet; stop order is the reverse.
import { mkdirSync } from 'node:fs';
import type { LoadedConfig } from '../../config/loader.ts';
import type { Logger } from '../log.ts';
import type { Component } from './component.ts';
import { Fleet } from './fleet.ts';
import { LiveValues, fanOut } from './live-values.ts';
import { Runtime } from './runtime.ts';

export interface Agent {
  runtime: Runtime;
  fleet: Fleet;
  live: LiveValues;
  loaded: LoadedConfig;
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
  const runtime = new Runtime([dataDir, fleet], log);
  return { runtime, fleet, live, loaded };
}
