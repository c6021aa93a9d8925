// Commands from the MES: validated against the contract, applied through the CommandTarget
// (the machine pipeline) at most once per command id, and always answered on `.../reply`.
// Nothing a sender puts on a command topic can stop the agent: every failure is a reply.
import type { MqttClient } from 'mqtt';
import type { CommandResult, CommandTarget } from '../events.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../lifecycle/component.ts';
import { COMMAND_REPLY_SCHEMA, COMMAND_SCHEMAS, MAX_COMMAND_BYTES, type CommandName, type CommandReply, type DowntimeReasonCommand, type JobCommand } from '../contract/commands.ts';
import { commandReplyTopic, commandSubscription, parseCommandTopic, type TopicRoot } from '../contract/topics.ts';
import { replyCode, type CommandErrorCode } from './errors.ts';
import { E } from '../errors.ts';

export interface CommandLogPort {
  recallCommand(key: string): string | undefined;
  rememberCommand(key: string, machine: string, name: string, reply: string): void;
}

export interface CommandTransport {
  onConnect(hook: (client: MqttClient) => void): void;
  publishDirect(topic: string, payload: string): Promise<boolean>;
}

export interface CommandHandlerOptions {
  root: TopicRoot;
  machines: readonly string[];
  target: CommandTarget;
  log: CommandLogPort;
  transport: CommandTransport;
  logger: Logger;
  now?: () => number;
}

export interface CommandStats {
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export class CommandHandler implements Component {
  readonly name = 'commands';
  readonly #o: CommandHandlerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #machines: Set<string>;
  readonly #stats: CommandStats = { received: 0, accepted: 0, rejected: 0, duplicates: 0 };
  #running = false;

  constructor(opts: CommandHandlerOptions) {
    this.#o = opts;
    this.#log = opts.logger.child({ component: 'commands' });
    this.#now = opts.now ?? Date.now;
    this.#machines = new Set(opts.machines);
    // Registered here (no I/O) so the first connection already subscribes.
    opts.transport.onConnect((client) => this.#attach(client));
  }

  async start(): Promise<void> {
    this.#running = true;
  }

  async stop(): Promise<void> {
    this.#running = false;
  }

  stats(): CommandStats {
    return { ...this.#stats };
  }

  #attach(client: MqttClient): void {
    const topic = commandSubscription(this.#o.root);
    client.subscribe(topic, { qos: 1 }, (err) => {
      if (err) this.#log.error({ err, topic }, 'cannot subscribe to commands');
      else this.#log.info({ topic }, 'subscribed to commands');
    });
    client.on('message', (t, payload) => {
      const at = parseCommandTopic(this.#o.root, t);
      if (!at) return;
      let reply: CommandReply;
      try {
        reply = this.handle(at.machine, at.name, payload);
      } catch (err) {
        // handle() does not throw by design; this is the last guard of "never dies on input".
        this.#log.error({ err, topic: t }, 'command handling failed');
        reply = this.#reject(null, at.machine, at.name, E.LS_CMD_FAILED, 'internal error while handling the command');
      }
      void this.#o.transport.publishDirect(commandReplyTopic(this.#o.root, at.machine, at.name), JSON.stringify(reply));
    });
  }

  /** Validate, de-duplicate and apply one command; returns the reply to publish. Never throws. */
  handle(machine: string, name: string, payload: Uint8Array): CommandReply {
    this.#stats.received++;
    if (payload.byteLength > MAX_COMMAND_BYTES) return this.#reject(null, machine, name, E.LS_CMD_TOO_LARGE, `payload is ${payload.byteLength} bytes; the limit is ${MAX_COMMAND_BYTES}`);
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(payload));
    } catch (err) {
      return this.#reject(null, machine, name, E.LS_CMD_BAD_JSON, `payload is not JSON: ${(err as Error).message.slice(0, 200)}`);
    }
    const rawId = typeof json === 'object' && json !== null && typeof (json as { commandId?: unknown }).commandId === 'string' ? ((json as { commandId: string }).commandId.slice(0, 128)) : null;
    if (!Object.hasOwn(COMMAND_SCHEMAS, name)) return this.#reject(rawId, machine, name, E.LS_CMD_UNKNOWN_COMMAND, `unknown command "${name.slice(0, 64)}"; expected one of ${Object.keys(COMMAND_SCHEMAS).join(', ')}`);
    const parsed = COMMAND_SCHEMAS[name as CommandName].safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? issue.path.join('.') : '(root)';
      return this.#reject(rawId, machine, name, E.LS_CMD_INVALID, `${where}: ${issue.message}`.slice(0, 300));
    }
    if (!this.#machines.has(machine)) return this.#reject(parsed.data.commandId, machine, name, E.LS_CMD_UNKNOWN_MACHINE, `no machine "${machine}" on this agent`);
    const key = `${machine}/${name}/${parsed.data.commandId}`;
    const seen = this.#o.log.recallCommand(key);
    if (seen !== undefined) {
      this.#stats.duplicates++;
      return { ...(JSON.parse(seen) as CommandReply), duplicate: true, ts: new Date(this.#now()).toISOString() };
    }
    let result: CommandResult;
    try {
      result = this.#apply(machine, name as CommandName, parsed.data);
    } catch (err) {
      this.#log.error({ err, machine, command: name }, 'command target threw');
      return this.#reject(parsed.data.commandId, machine, name, E.LS_CMD_FAILED, 'the machine pipeline failed to apply the command');
    }
    if (!result.ok) return this.#reject(parsed.data.commandId, machine, name, replyCode(result.code), result.reason);
    this.#stats.accepted++;
    const reply: CommandReply = { schema: COMMAND_REPLY_SCHEMA, commandId: parsed.data.commandId, machine, command: name, status: 'accepted', ...(result.detail ? { detail: result.detail } : {}), ts: new Date(this.#now()).toISOString() };
    // Only accepted commands are remembered: a rejected one may be sent again once it can succeed.
    this.#o.log.rememberCommand(key, machine, name, JSON.stringify(reply));
    this.#log.info({ machine, command: name, commandId: parsed.data.commandId }, 'command accepted');
    return reply;
  }

  #apply(machine: string, name: CommandName, cmd: JobCommand | DowntimeReasonCommand): CommandResult {
    const at = this.#now();
    const t = this.#o.target;
    if (name === 'job') {
      const job = cmd as JobCommand;
      if (job.action === 'end') return t.endJob(machine, job.orderId, at);
      return t.startJob(machine, { orderId: job.orderId, product: job.product, idealCycleTime: job.idealCycleTime, ...(job.target !== undefined ? { targetQuantity: job.target } : {}) }, at);
    }
    const dr = cmd as DowntimeReasonCommand;
    return t.assignDowntimeReason(machine, dr.eventId, dr.reasonCode, at, { ...(dr.text !== undefined ? { text: dr.text } : {}), ...(dr.by !== undefined ? { by: dr.by } : {}) });
  }

  #reject(commandId: string | null, machine: string, name: string, code: CommandErrorCode | string, reason: string): CommandReply {
    this.#stats.rejected++;
    // Debug level: a misbehaving sender must not flood the log at info.
    this.#log.debug({ machine: machine.slice(0, 64), command: name.slice(0, 64), code, reason }, 'command rejected');
    return { schema: COMMAND_REPLY_SCHEMA, commandId, machine, command: name, status: 'rejected', code, reason, ts: new Date(this.#now()).toISOString() };
  }
}

/** Stands in for the machine pipeline until it is wired: every command is answered "unavailable". */
export const UNAVAILABLE_TARGET: CommandTarget = {
  startJob: () => ({ ok: false, code: E.LS_CMD_UNAVAILABLE, reason: 'the machine pipeline is not available in this build' }),
  endJob: () => ({ ok: false, code: E.LS_CMD_UNAVAILABLE, reason: 'the machine pipeline is not available in this build' }),
  assignDowntimeReason: () => ({ ok: false, code: E.LS_CMD_UNAVAILABLE, reason: 'the machine pipeline is not available in this build' }),
};
