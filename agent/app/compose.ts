// The composition root: builds every component from the configuration and orders them.
// Start order is data-flow order reversed (sinks before sources), so nothing emits into
// a component that is not running yet; stop order is the reverse.
import { mkdirSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { LoadedConfig } from '../../config/loader.ts';
import type { CommandTarget, TransactionalSink } from '../events.ts';
import { registerReadApi } from '../http/api.ts';
import { registerDestinationsApi } from '../destinations/http-api.ts';
import { buildHousekeeping } from '../housekeeping/build.ts';
import { outboxCheck, Readiness } from '../http/health.ts';
import { createRegistry, registerFleetMetrics, registerMachineMetrics } from '../http/metrics.ts';
import { registerIncidentMetrics } from '../http/incident-metrics.ts';
import { HttpServer } from '../http/server.ts';
import type { Logger } from '../log.ts';
import { PipelineComponent } from '../pipeline-store/component.ts';
import { LoggingEventSink } from '../pipeline-store/log-sink.ts';
import { registerStoreAndForwardMetrics } from '../publish/metrics.ts';
import { destinationReadiness, registerDestinationMetrics } from '../destinations/metrics.ts';
import { buildStoreAndForward, type StoreAndForward } from '../publish/store-and-forward.ts';
import type { Component } from '../lifecycle/component.ts';
import { Fleet } from '../machines/fleet.ts';
import { LiveValues, fanOut } from '../machines/live-values.ts';
import { Runtime } from '../lifecycle/runtime.ts';
import { Incidents } from '../lifecycle/incident.ts';
import { Station } from '../station/station.ts';
import { registerStationRoutes } from '../station/routes.ts';

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
  /** The line station (users, sessions, audit log); with the HTTP API. */
  station?: Station;
}

export interface ComposeOptions {
  now?: () => number;
}

export async function composeAgent(loaded: LoadedConfig, log: Logger, opts: ComposeOptions = {}): Promise<Agent> {
  const { config } = loaded;
  const registry = createRegistry(config.agent.id);
  const incidents = new Incidents(log, opts.now);
  registerIncidentMetrics(registry, incidents);
  const readiness = new Readiness();
  const live = new LiveValues();
  // Commands reach the pipeline, built below; the pipeline answers "not running" until it started.
  // Job orders the pipeline accepts are also listed by the station (its Jobs view).
  let station: Station | undefined;
  const target: CommandTarget = {
    startJob: (m, job, at) => {
      const r = pipeline.startJob(m, job, at);
      station?.jobApplied(m, 'start', job, at, r);
      return r;
    },
    endJob: (m, orderId, at) => {
      const r = pipeline.endJob(m, orderId, at);
      station?.jobApplied(m, 'end', { orderId }, at, r);
      return r;
    },
    assignDowntimeReason: (...a) => pipeline.assignDowntimeReason(...a),
  };
  const out = await buildStoreAndForward(config, loaded.hash, log, target, opts.now, incidents);
  // Pipeline events go to the outbox (durable, then MQTT); the debug log of events stays.
  const events = new LoggingEventSink(log.child({ component: 'events' }));
  const sink: TransactionalSink = {
    publish: (e, state) => (events.publish(e), out.outbox.publish(e, state)),
    flush: () => out.outbox.flush(),
    loadState: () => out.outbox.loadState(),
  };
  const pipeline = new PipelineComponent({ config, log: log.child({ component: 'pipeline' }), sink, incidents, ...(opts.now ? { now: opts.now } : {}) });
  const readings = fanOut([
    { sink: live, failures: incidents.get({ name: 'live-values', failed: 'recording live values failed' }) },
    { sink: pipeline, failures: incidents.get({ name: 'pipeline-readings', failed: 'the pipeline failed on readings', meanwhile: 'events stay in memory (bounded) until it works again' }) },
  ]);
  const fleet = new Fleet({ machines: config.machines, sink: readings, log, dataDir: config.agent.dataDir, agent: { id: config.agent.id, location: config.location }, ...(opts.now ? { now: opts.now } : {}) });
  // The Sparkplug edge node publishes DDEATH/DBIRTH as machine links go and come.
  out.sparkplug?.setLinks(() => fleet.status());
  // ... and births with the state and job the pipeline holds, which outlive a restart.
  out.sparkplug?.setFacts((id) => {
    const mp = pipeline.pipeline?.machine(id);
    if (!mp) return undefined;
    const job = mp.job;
    return {
      state: { state: mp.state.state, since: mp.state.since, faultCode: mp.state.faultCode },
      ...(job ? { job: { orderId: job.orderId, product: job.product, idealCycleTimeMs: job.idealCycleTime, start: job.start } } : {}),
    };
  });
  registerFleetMetrics(registry, fleet);
  registerStoreAndForwardMetrics(registry, out);
  registerMachineMetrics(registry, config.machines.map((m) => m.id), () => pipeline.pipeline);
  readiness.add('drivers', () => {
    const down = Object.entries(fleet.status()).filter(([, s]) => s.state !== 'connected');
    return down.length
      ? { ok: false, reason: `not connected: ${down.map(([m, s]) => `${m} (${s.state}${s.lastError ? `: ${s.lastError}` : ''})`).join(', ')}` }
      : { ok: true };
  });
  readiness.add('mqtt', () => (out.publisher.connected ? { ok: true } : { ok: false, reason: `broker not connected; ${out.outbox.stats().depth + pipeline.pendingEvents} messages buffered` }));
  readiness.add('outbox', outboxCheck(() => out.outbox.stats(), config.http.ready));
  // MQTT has its check above; every other destination has one of its own.
  for (const d of out.destinations) if (d !== out.publisher) readiness.add(d.name, destinationReadiness(d, config.http.ready));
  registerDestinationMetrics(registry, () => out.destinations);
  const dataDir: Component = {
    name: 'data-dir',
    async start() {
      mkdirSync(config.agent.dataDir, { recursive: true });
    },
    async stop() {},
  };
  const st = config.http.enabled
    ? new Station({ config, fleet, pipeline, commands: (m, n, p) => out.commands.handle(m, n, p), publish: (e) => out.outbox.publish([e]), log: log.child({ component: 'station' }), ...(opts.now ? { now: opts.now } : {}) })
    : undefined;
  station = st;
  const http = st
    ? new HttpServer({ host: config.http.host, port: config.http.port, ...(config.http.token ? { token: config.http.token } : {}), access: st.access, beforeStop: () => st.stream.close(), readiness, registry, log: log.child({ component: 'http' }), routes: (router) => {
          registerReadApi(router, { config, fleet, live, pipeline, ...(opts.now ? { now: opts.now } : {}) });
          registerDestinationsApi(router, { agentId: config.agent.id, destinations: () => out.destinations, outbox: out.outbox });
          registerStationRoutes(router, st);
        } })
    : undefined;
  // Last: started once the outbox and pipeline it tidies are, stopped before them.
  const housekeeping = buildHousekeeping(config, { outbox: out.outbox, pipeline }, registry, log, opts.now ? { now: opts.now } : {});
  const components: Component[] = [dataDir, ...out.components, ...(st && http ? [st, http] : []), pipeline, fleet, housekeeping];
  const runtime = new Runtime(components, log, config.agent.shutdownTimeout);
  return { runtime, fleet, live, loaded, readiness, registry, pipeline, out, ...(http ? { http } : {}), ...(st ? { station: st } : {}) };
}
