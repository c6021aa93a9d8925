// The composition root: builds every component from the configuration and orders them.
// Start order is data-flow order reversed (sinks before sources), so nothing emits into
// a component that is not running yet; stop order is the reverse.
import { mkdirSync } from 'node:fs';
import type { LoadedConfig } from '../../config/loader.ts';
import type { Logger } from '../log.ts';
import { PipelineComponent } from '../pipeline-store/component.ts';
import { LoggingEventSink } from '../pipeline-store/log-sink.ts';
import type { Component } from './component.ts';
import { Fleet } from './fleet.ts';
import { LiveValues, fanOut } from './live-values.ts';
import { Runtime } from './runtime.ts';

export interface Agent {
  runtime: Runtime;
  fleet: Fleet;
  live: LiveValues;
  loaded: LoadedConfig;
  pipeline: PipelineComponent;
}

export interface ComposeOptions {
  now?: () => number;
}

export function composeAgent(loaded: LoadedConfig, log: Logger, opts: ComposeOptions = {}): Agent {
  const { config } = loaded;
  const live = new LiveValues();
  // Until the outbox is wired, pipeline events are logged (debug) and counted.
  const events = new LoggingEventSink(log.child({ component: 'events' }));
  const pipeline = new PipelineComponent({ config, log: log.child({ component: 'pipeline' }), sink: events, ...(opts.now ? { now: opts.now } : {}) });
  const sink = fanOut([live, pipeline], (err) => log.error({ err }, 'reading sink failed'));
  const fleet = new Fleet({ machines: config.machines, sink, log, dataDir: config.agent.dataDir, ...(opts.now ? { now: opts.now } : {}) });
  const dataDir: Component = {
    name: 'data-dir',
    async start() {
      mkdirSync(config.agent.dataDir, { recursive: true });
    },
    async stop() {},
  };
  const runtime = new Runtime([dataDir, pipeline, fleet], log);
  return { runtime, fleet, live, loaded, pipeline };
}
