// The composition root: builds every component from the configuration and orders them.
// Start order is data-flow order reversed (sinks before sources), so nothing emits into
// a component that is not running yet; stop order is the reverse.
import { mkdirSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { LoadedConfig } from '../../config/loader.ts';
import { Readiness } from '../http/health.ts';
import { createRegistry, registerFleetMetrics } from '../http/metrics.ts';
import { HttpServer } from '../http/server.ts';
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
  readiness: Readiness;
  registry: Registry;
  http?: HttpServer;
  pipeline: PipelineComponent;
}

export interface ComposeOptions {
  now?: () => number;
}

export function composeAgent(loaded: LoadedConfig, log: Logger, opts: ComposeOptions = {}): Agent {
  const { config } = loaded;
  const registry = createRegistry(config.agent.id);
  const readiness = new Readiness();
  const live = new LiveValues();
  // Until the outbox is wired, pipeline events are logged (debug) and counted.
  const events = new LoggingEventSink(log.child({ component: 'events' }));
  const pipeline = new PipelineComponent({ config, log: log.child({ component: 'pipeline' }), sink: events, ...(opts.now ? { now: opts.now } : {}) });
  const sink = fanOut([live, pipeline], (err) => log.error({ err }, 'reading sink failed'));
  const fleet = new Fleet({ machines: config.machines, sink, log, dataDir: config.agent.dataDir, ...(opts.now ? { now: opts.now } : {}) });
  registerFleetMetrics(registry, fleet);
  readiness.add('drivers', () => {
    const down = Object.entries(fleet.status()).filter(([, s]) => s.state !== 'connected');
    return down.length
      ? { ok: false, reason: `not connected: ${down.map(([m, s]) => `${m} (${s.state}${s.lastError ? `: ${s.lastError}` : ''})`).join(', ')}` }
      : { ok: true };
  });
  const dataDir: Component = {
    name: 'data-dir',
    async start() {
      mkdirSync(config.agent.dataDir, { recursive: true });
    },
    async stop() {},
  };
  const http = config.http.enabled
    ? new HttpServer({ host: config.http.host, port: config.http.port, ...(config.http.token ? { token: config.http.token } : {}), readiness, registry, log: log.child({ component: 'http' }) })
    : undefined;
  const components: Component[] = [dataDir, ...(http ? [http] : []), pipeline, fleet];
  const runtime = new Runtime(components, log);
  return { runtime, fleet, live, loaded, readiness, registry, pipeline, ...(http ? { http } : {}) };
}
