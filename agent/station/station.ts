// The line station as a runtime component: its store (audit log, job orders), sessions, access,
// live stream and routes. Constructed without I/O; the store opens on start.
import { join } from 'node:path';
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { CommandReply } from '../contract/commands.ts';
import { SCHEMA } from '../contract/payloads.ts';
import type { CommandResult, JobOrder, MachineEvent } from '../events.ts';
import type { Principal } from '../http/access.ts';
import type { Component } from '../lifecycle/component.ts';
import type { Logger } from '../log.ts';
import type { Fleet } from '../machines/fleet.ts';
import type { PipelineComponent } from '../pipeline-store/component.ts';
import { StationAccess } from './access.ts';
import { LoginLimit } from './login-limit.ts';
import { Sessions } from './sessions.ts';
import { StaticAssets } from './static.ts';
import { StationStore, type AuditRecord } from './store.ts';
import { TileStream } from './stream.ts';
import { allTiles, type TileSources } from './tiles.ts';

/** The command path (CommandHandler.handle): the same one MQTT commands take. */
export type CommandPath = (machine: string, name: string, payload: Uint8Array) => CommandReply;

export interface StationOptions {
  config: LinesideConfig;
  fleet: Fleet;
  pipeline: PipelineComponent;
  commands: CommandPath;
  log: Logger;
  /** Publishes an audit record in the contract (`lineside.audit/1`, through the outbox). */
  publish?: (e: MachineEvent) => void;
  now?: () => number;
}

/** The contract's message of an audit record: on its machine's topic, or the agent's (`_agent`). */
export function auditEvent(r: AuditRecord): MachineEvent {
  return { kind: 'audit', machine: r.machine ?? '_agent', schema: SCHEMA.audit, ts: r.ts, body: { id: r.id, actor: r.actor, role: r.role, via: r.via, action: r.action, outcome: r.outcome, detail: r.detail } };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** The audit action of a refused request, named as its handler would have recorded it. */
function actionOf(method: string, path: string): string {
  if (path === '/api/v1/session') return method === 'DELETE' ? 'logout' : 'login';
  const cert = /^\/api\/v1\/opcua\/certificates\/[^/]+\/(trust|reject)$/.exec(path);
  if (cert) return `opcua-${cert[1]}`;
  return `${method} ${path.slice(0, 200)}`;
}

export class Station implements Component {
  readonly name = 'station';
  readonly o: StationOptions;
  readonly now: () => number;
  readonly sessions: Sessions;
  readonly access: StationAccess;
  readonly logins = new LoginLimit();
  readonly stream: TileStream;
  readonly tiles: TileSources;
  #assets: StaticAssets | undefined;
  #store: StationStore | undefined;
  /** Who is acting through the command path right now (set around a synchronous handle()). */
  #acting: Principal | undefined;

  constructor(o: StationOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    const http = o.config.http;
    // Sessions run on the wall clock even when the pipeline's is accelerated (the demo).
    this.sessions = new Sessions({ idleMs: http.session.idleTimeout, maxAgeMs: http.session.maxAge });
    this.access = new StationAccess({ token: http.token, tokens: http.tokens, users: http.users }, this.sessions);
    this.tiles = { config: o.config, fleet: o.fleet, pipeline: o.pipeline, now: this.now };
    let failing = false;
    const tiles = () => {
      try {
        const all = allTiles(this.tiles);
        if (failing) o.log.info('the live tiles work again');
        failing = false;
        return all;
      } catch (err) {
        if (!failing) o.log.error({ err }, 'cannot compute the live tiles; the stream sends nothing until they work again');
        failing = true;
        return undefined;
      }
    };
    this.stream = new TileStream({ tiles, now: this.now, sessionAlive: (id) => this.sessions.get(id) !== undefined });
    this.sessions.onEnd((id) => this.stream.endSession(id));
    this.access.onRefused = (p, method, path, reason) => {
      const segment = /^\/api\/v1\/machines\/([^/]+)\//.exec(path)?.[1];
      const machine = segment === undefined ? undefined : o.config.machines.find((m) => m.id === safeDecode(segment))?.id;
      const action = machine ? path.slice(path.lastIndexOf('/') + 1) : actionOf(method, path);
      this.audit(p ?? { name: 'anonymous', role: 'viewer', via: 'session' }, action, machine ?? null, 'refused', { reason, method, path: path.slice(0, 200) });
    };
  }

  /** A store that cannot open (disk full, permissions) leaves the station answering 503, not the agent down. */
  async start(): Promise<void> {
    this.#assets = new StaticAssets();
    const file = join(this.o.config.agent.dataDir, 'station.db');
    try {
      this.#store = new StationStore(file);
    } catch (err) {
      this.o.log.error({ err, file }, 'cannot open the station store; the audit log and job orders are unavailable');
    }
  }

  async stop(): Promise<void> {
    this.stream.close();
    this.#store?.close();
    this.#store = undefined;
  }

  get store(): StationStore | undefined {
    return this.#store;
  }

  get assets(): StaticAssets | undefined {
    return this.#assets;
  }

  /** Record an action (who, what, when, outcome) locally and in the contract. Never throws. */
  audit(p: Pick<Principal, 'name' | 'role' | 'via'>, action: string, machine: string | null, outcome: AuditRecord['outcome'], detail: Record<string, unknown>): void {
    try {
      const r = this.#store?.addAudit({ ts: this.now(), actor: p.name, role: p.role, via: p.via, action, machine, outcome, detail });
      if (r) this.o.publish?.(auditEvent(r));
    } catch (err) {
      this.o.log.error({ err, action }, 'cannot write the audit record');
    }
  }

  /** Send a command down the command path as `p`; job orders it starts are recorded as the station's. */
  command(p: Principal, machine: string, name: string, body: Record<string, unknown>): CommandReply {
    this.#acting = p;
    try {
      return this.o.commands(machine, name, Buffer.from(JSON.stringify(body)));
    } finally {
      this.#acting = undefined;
    }
  }

  /** Called by the command target (compose.ts) for every job start/end the pipeline accepted. */
  jobApplied(machine: string, action: 'start' | 'end', order: Partial<JobOrder> & { orderId: string }, at: number, result: CommandResult): void {
    if (!result.ok) return;
    try {
      this.#store?.addJob({
        ts: at,
        machine,
        action,
        orderId: order.orderId,
        product: order.product ?? null,
        idealCycleTime: order.idealCycleTime ?? null,
        target: order.targetQuantity ?? null,
        source: this.#acting ? 'station' : 'mqtt',
        by: this.#acting?.name ?? null,
      });
    } catch (err) {
      this.o.log.error({ err, machine }, 'cannot record the job order');
    }
  }
}
