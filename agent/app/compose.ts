// The composition root: builds every component from the configuration and orders them.
// Start order is data-flow order reversed (sinks before sources), so nothing emits into
// a component that is not running yet; stop order is the reverse.
import { mkdirSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { LoadedConfig } from '../../config/loader.ts';
import type { CommandTarget, EventSink } from '../events.ts';
import { registerReadApi } from '../http/api.ts';
import { outboxCheck, Readiness } from '../http/health.ts';
import { createRegistry, registerFleetMetrics, registerMachineMetrics } from '../http/metrics.ts';
import { HttpServer } from '../http/server.ts';
import type { Logger } from '../log.ts';
import { PipelineComponent } from '../pipeline-store/component.ts';
import { LoggingEventSink } from '../pipeline-store/log-sink.ts';
import { registerStoreAndForwardMetrics } from '../publish/metrics.ts';
import { buildStoreAndForward, type StoreAndForward } from '../publish/store-and-forward.ts';
import type { Component } from '../lifecycle/component.ts';
import { Fleet } from '../machines/fleet.ts';
import { LiveValues, fanOut } from '../machines/live-values.ts';
import { Runtime } from '../lifecycle/runtime.ts';

export interface Agent {
  runtime: Runtime;
  fleet: Fleet;
  live: LiveValues;
  loaded: LoadedConfig;
  readiness: Readiness;
  registry: Registry;
  http?: HttpServer;
  pipeline: PipelineComponent;
  /** Outbox (where pipeline events go), publisher and command handler. */
  out: StoreAndForward;
}

export interface ComposeOptions {
  now?: () => number;
}

export function composeAgent(loaded: LoadedConfig, log: Logger, opts: ComposeOptions = {}): Agent {
  const { config } = loaded;
  const registry = createRegistry(config.agent.id);
  const readiness = new Readiness();
  const live = new LiveValues();
  // Commands reach the pipeline, built below; the pipeline answers "not running" until it started.
  const target: CommandTarget = {
    startJob: (...a) => pipeline.startJob(...a),
    endJob: (...a) => pipeline.endJob(...a),
    assignDowntimeReason: (...a) => pipeline.assignDowntimeReason(...a),
  };
  const out = buildStoreAndForward(config, loaded.hash, log, target, opts.now);
  // Pipeline events go to the outbox (durable, then MQTT); the debug log of events stays.
  const events = new LoggingEventSink(log.child({ component: 'events' }));
  const sink: EventSink = {
    publish: (e) => (events.publish(e), out.outbox.publish(e)),
    flush: () => out.outbox.flush(),
  };
  const pipeline = new PipelineComponent({ config, log: log.child({ component: 'pipeline' }), sink, ...(opts.now ? { now: opts.now } : {}) });
  const readings = fanOut([live, pipeline], (err) => log.error({ err }, 'reading sink failed'));
  const fleet = new Fleet({ machines: config.machines, sink: readings, log, dataDir: config.agent.dataDir, ...(opts.now ? { now: opts.now } : {}) });
  registerFleetMetrics(registry, fleet);
  registerStoreAndForwardMetrics(registry, out);
  registerMachineMetrics(registry, config.machines.map((m) => m.id), () => pipeline.pipeline);
  readiness.add('drivers', () => {
    const down = Object.entries(fleet.status()).filter(([, s]) => s.state !== 'connected');
    return down.length
      ? { ok: false, reason: `not connected: ${down.map(([m, s]) => `${m} (${s.state}${s.lastError ? `: ${s.lastError}` : ''})`).join(', ')}` }
      : { ok: true };
  });
  readiness.add('mqtt', () => (out.publisher.connected ? { ok: true } : { ok: false, reason: `broker not connected; ${out.outbox.stats().depth} messages buffered` }));
  readiness.add('outbox', outboxCheck(() => out.outbox.stats(), config.http.ready));
  const dataDir: Component = {
    name: 'data-dir',
    async start() {
      mkdirSync(config.agent.dataDir, { recursive: true });
    },
    async stop() {},
  };
  const http = config.http.enabled
    ? new HttpServer({ host: config.http.host, port: config.http.port, ...(config.http.token ? { token: config.http.token } : {}), readiness, registry, log: log.child({ component: 'http' }), routes: (router) => registerReadApi(router, { config, fleet, live, pipeline, ...(opts.now ? { now: opts.now } : {}) }) })
    : undefined;
  const components: Component[] = [dataDir, ...out.components, ...(http ? [http] : []), pipeline, fleet];
  const runtime = new Runtime(components, log, config.agent.shutdownTimeout);
  return { runtime, fleet, live, loaded, readiness, registry, pipeline, out, ...(http ? { http } : {}) };
}
