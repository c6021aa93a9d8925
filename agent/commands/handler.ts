// Commands from the MES: rate-limited per machine, validated against the contract, applied through
// the CommandTarget (the machine pipeline) at most once per command id, and answered on `.../reply`.
// Nothing a sender puts on a command topic can stop the agent: every failure is a reply, and a
// flood is refused before it costs more than a token look-up (see docs/STORE-AND-FORWARD.md).
import type { MqttClient } from 'mqtt';
import type { CommandResult, CommandTarget } from '../events.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../lifecycle/component.ts';
import { COMMAND_REPLY_SCHEMA, COMMAND_SCHEMAS, MAX_COMMAND_BYTES, type CommandName, type CommandReply, type DowntimeReasonCommand, type JobCommand } from '../contract/commands.ts';
import { commandReplyTopic, commandSubscription, parseCommandTopic, type TopicRoot } from '../contract/topics.ts';
import { replyCode, type CommandErrorCode } from './errors.ts';
import { applyCommand, type AppliedCommand } from './apply.ts';
import { commandFingerprint, decodeRemembered, encodeRemembered } from './fingerprint.ts';
import { CommandRateLimit } from './rate-limit.ts';
import { ReplyQueue, type ReplyStats } from './reply-queue.ts';
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
  /** Commands per second and at once, per machine (mqtt.commandRate, mqtt.commandBurst). */
  rate?: { perSecond: number; burst: number };
  /** Replies awaiting PUBACK at once; the rest of the publisher's window stays the outbox's. */
  replyWindow?: number;
}

export interface CommandStats {
  received: number;
  accepted: number;
  /** Every rejection, those of the rate limit included. */
  rejected: number;
  duplicates: number;
  /** Rejected by the rate limit (LS_CMD_RATE_LIMITED), unread. */
  rateLimited: number;
  replies: ReplyStats;
}

/** The configuration's defaults, for handlers built without it (tests, tools). */
export const DEFAULT_COMMAND_RATE = { perSecond: 20, burst: 50 };
/** Replies to rate-limited commands that may wait for the broker; more are dropped (and counted). */
export const REPLY_QUEUE_CAPACITY = 1000;

const decoder = new TextDecoder('utf-8', { fatal: true });
/** Incoming messages handled before the event loop gets a turn (a few ms of work at most). */
const MESSAGES_PER_TURN = 32;

export class CommandHandler implements Component {
  readonly name = 'commands';
  readonly #o: CommandHandlerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #machines: Set<string>;
  readonly #limit: CommandRateLimit;
  readonly #replies: ReplyQueue;
  readonly #stats = { received: 0, accepted: 0, rejected: 0, duplicates: 0, rateLimited: 0 };
  #running = false;

  constructor(opts: CommandHandlerOptions) {
    this.#o = opts;
    this.#log = opts.logger.child({ component: 'commands' });
    this.#now = opts.now ?? Date.now;
    this.#machines = new Set(opts.machines);
    const rate = opts.rate ?? DEFAULT_COMMAND_RATE;
    this.#limit = new CommandRateLimit(opts.machines, { rate: rate.perSecond, burst: rate.burst, now: this.#now, log: this.#log });
    this.#replies = new ReplyQueue({ publish: (topic, payload) => opts.transport.publishDirect(topic, payload), window: Math.max(1, opts.replyWindow ?? 16), capacity: REPLY_QUEUE_CAPACITY, log: this.#log });
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
    return { ...this.#stats, replies: this.#replies.stats() };
  }

  #attach(client: MqttClient): void {
    const topic = commandSubscription(this.#o.root);
    client.subscribe(topic, { qos: 1 }, (err) => {
      if (err) this.#log.error({ err, topic }, 'cannot subscribe to commands');
      else this.#log.info({ topic }, 'subscribed to commands');
    });
    // mqtt.js handles every packet of one socket read in a row, with only process.nextTick between
    // them: in a flood, hundreds of commands and no I/O in between (/metrics, timers, the outbox's
    // commits wait). It takes the next packet (and sends this one's PUBACK) when handleMessage calls
    // back, so calling back on the next turn of the event loop now and then lets everything else
    // run, and holds the broker back through TCP while we catch up.
    let inARow = 0;
    client.handleMessage = (_packet, callback) => {
      if (++inARow < MESSAGES_PER_TURN) return callback();
      inARow = 0;
      setImmediate(callback);
    };
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
      this.#replies.push(commandReplyTopic(this.#o.root, at.machine, at.name), JSON.stringify(reply), reply.code === E.LS_CMD_RATE_LIMITED);
    });
  }

  /** Rate-limit, validate, de-duplicate and apply one command; returns the reply to publish. Never throws. */
  handle(machine: string, name: string, payload: Uint8Array): CommandReply {
    this.#stats.received++;
    // First, before reading anything: a flood costs a token lookup per command, nothing more.
    if (!this.#limit.take(machine)) {
      this.#stats.rateLimited++;
      const { perSecond, burst } = this.#o.rate ?? DEFAULT_COMMAND_RATE;
      return this.#reject(peekCommandId(payload), machine, name, E.LS_CMD_RATE_LIMITED, `more commands for this machine than ${perSecond}/s (bursts of ${burst}) allow; not read`);
    }
    if (payload.byteLength > MAX_COMMAND_BYTES) return this.#reject(peekCommandId(payload), machine, name, E.LS_CMD_TOO_LARGE, `payload is ${payload.byteLength} bytes; the limit is ${MAX_COMMAND_BYTES}`);
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(payload));
    } catch (err) {
      return this.#reject(null, machine, name, E.LS_CMD_BAD_JSON, `payload is not JSON: ${(err as Error).message.slice(0, 200)}`);
    }
    const rawId = typeof json === 'object' && json !== null && typeof (json as { commandId?: unknown }).commandId === 'string' ? ((json as { commandId: string }).commandId.slice(0, 128)) : null;
    // The topic is checked before the body: a command sent to the wrong machine says so, whatever its shape.
    if (!this.#machines.has(machine)) return this.#reject(rawId, machine, name, E.LS_CMD_UNKNOWN_MACHINE, `no machine "${machine.slice(0, 64)}" on this agent`);
    if (!Object.hasOwn(COMMAND_SCHEMAS, name)) return this.#reject(rawId, machine, name, E.LS_CMD_UNKNOWN_COMMAND, `unknown command "${name.slice(0, 64)}"; expected one of ${Object.keys(COMMAND_SCHEMAS).join(', ')}`);
    const parsed = COMMAND_SCHEMAS[name as CommandName].safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? issue.path.join('.') : '(root)';
      return this.#reject(rawId, machine, name, E.LS_CMD_INVALID, `${where}: ${issue.message}`.slice(0, 300));
    }
    const commandId = parsed.data.commandId;
    const key = `${machine}/${name}/${commandId}`;
    const bodyHash = commandFingerprint(parsed.data);
    const seen = this.#o.log.recallCommand(key);
    if (seen !== undefined) {
      let first;
      try {
        first = decodeRemembered(seen);
      } catch (err) {
        this.#log.error({ err, machine, command: name, commandId }, 'unreadable entry in the command log');
        return this.#reject(commandId, machine, name, E.LS_CMD_FAILED, 'the command log entry of this id is unreadable; not applied');
      }
      if (first.bodyHash !== undefined && first.bodyHash !== bodyHash) {
        return this.#reject(commandId, machine, name, E.LS_CMD_ID_REUSED, `commandId "${commandId}" was accepted at ${first.reply.ts} with a different body; use a new id for a new command`);
      }
      this.#stats.duplicates++;
      return { ...first.reply, duplicate: true, ts: new Date(this.#now()).toISOString() };
    }
    let result: CommandResult;
    try {
      result = this.#apply(machine, name as CommandName, parsed.data);
    } catch (err) {
      this.#log.error({ err, machine, command: name }, 'command target threw');
      return this.#reject(commandId, machine, name, E.LS_CMD_FAILED, 'the machine pipeline failed to apply the command');
    }
    if (!result.ok) return this.#reject(commandId, machine, name, replyCode(result.code), result.reason);
    this.#stats.accepted++;
    const reply: CommandReply = { schema: COMMAND_REPLY_SCHEMA, commandId, machine, command: name, status: 'accepted', ...(result.detail ? { detail: result.detail } : {}), ts: new Date(this.#now()).toISOString() };
    // Only accepted commands are remembered: a rejected one may be sent again once it can succeed.
    this.#o.log.rememberCommand(key, machine, name, encodeRemembered({ reply, bodyHash }));
    this.#log.info({ machine, command: name, commandId }, 'command accepted');
    return reply;
  }

  #apply(machine: string, name: CommandName, cmd: JobCommand | DowntimeReasonCommand): CommandResult {
    // The schema was chosen by name, so the payload is of that command.
    return applyCommand(this.#o.target, machine, { name, body: cmd } as AppliedCommand, this.#now());
  }

  #reject(commandId: string | null, machine: string, name: string, code: CommandErrorCode | string, reason: string): CommandReply {
    this.#stats.rejected++;
    // Debug level: a misbehaving sender must not flood the log at info.
    this.#log.debug({ machine: machine.slice(0, 64), command: name.slice(0, 64), code, reason }, 'command rejected');
    return { schema: COMMAND_REPLY_SCHEMA, commandId, machine, command: name, status: 'rejected', code, reason, ts: new Date(this.#now()).toISOString() };
  }
}

const ID_IN_JSON = /"commandId"\s*:\s*"([\x21\x23-\x5b\x5d-\x7e]{1,128})"/;

/**
 * The command id of a payload not worth parsing (rate-limited, too large), so the reply can still
 * name it: a scan of its first 16 KiB for `"commandId":"…"`; null when absent or not plain.
 */
export function peekCommandId(payload: Uint8Array): string | null {
  const head = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, MAX_COMMAND_BYTES));
  return ID_IN_JSON.exec(head.toString('latin1'))?.[1] ?? null;
}

/** Stands in for the machine pipeline until it is wired: every command is answered "unavailable". */
export const UNAVAILABLE_TARGET: CommandTarget = {
  startJob: () => ({ ok: false, code: E.LS_CMD_UNAVAILABLE, reason: 'the machine pipeline is not available in this build' }),
  endJob: () => ({ ok: false, code: E.LS_CMD_UNAVAILABLE, reason: 'the machine pipeline is not available in this build' }),
  assignDowntimeReason: () => ({ ok: false, code: E.LS_CMD_UNAVAILABLE, reason: 'the machine pipeline is not available in this build' }),
};
