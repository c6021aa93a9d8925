// Proof that what Lineside publishes is what docs/asyncapi.yaml promises: subscribes to
// `lineside/#` like a MES would and validates every message against the published JSON Schemas
// (docs/schemas/payloads/*.json, read from disk: the documents integrators get are the ones
// checked), plus what a schema cannot say: the topic levels agree with the payload.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { MESSAGES, messageForTopic, type ContractMessage } from '../../agent/contract/messages.ts';
import { isErrorCode } from '../../agent/errors.ts';

export interface Violation {
  topic: string;
  problem: string;
  payload: string;
}

export interface CheckerOptions {
  /**
   * `envelope`: check topics, envelopes, drop reports, status and replies but not the bodies of pipeline events.
   * For the load fixtures, which feed the outbox synthetic bodies (`{ n, pad }`) on purpose.
   */
  bodies?: 'check' | 'envelope';
  /** Also check commands on `.../cmd/{name}` (off by default: tests send malformed ones on purpose). */
  commands?: boolean;
  /** Extra client options (TLS, credentials). */
  client?: IClientOptions;
}

/** Bodies the machine pipeline makes (the load fixtures fake these); drop reports are the outbox's own and always checked. */
const PIPELINE_BODIES = new Set(['telemetry', 'state', 'downtime', 'oee', 'job']);

const PAYLOAD_DIR = new URL('../../docs/schemas/payloads/', import.meta.url);

function compileAll(bodies: 'check' | 'envelope'): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const out = new Map<string, ValidateFunction>();
  for (const m of MESSAGES) {
    const schema = JSON.parse(readFileSync(new URL(`${m.id}.json`, PAYLOAD_DIR), 'utf8')) as { $id?: string; properties?: Record<string, unknown> };
    if (bodies === 'envelope' && PIPELINE_BODIES.has(m.id)) {
      delete schema.$id;
      schema.properties = { ...schema.properties, data: { type: 'object' } };
    }
    out.set(m.id, ajv.compile(schema));
  }
  return out;
}

export class ContractChecker {
  readonly violations: Violation[] = [];
  /** Messages checked, by contract message id. */
  readonly seen = new Map<string, number>();
  #validators: Map<string, ValidateFunction>;
  #opts: CheckerOptions;
  #client: MqttClient | undefined;

  constructor(opts: CheckerOptions = {}) {
    this.#opts = opts;
    this.#validators = compileAll(opts.bodies ?? 'check');
  }

  /** Connect to the broker and check everything under `lineside/#` from now on (persistent session). */
  static async attach(url: string, opts: CheckerOptions = {}): Promise<ContractChecker> {
    const checker = new ContractChecker(opts);
    const client = mqtt.connect(url, {
      clientId: `contract-checker-${process.pid}-${Math.random().toString(16).slice(2)}`,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 200,
      connectTimeout: 2000,
      ...opts.client,
    });
    checker.#client = client;
    client.on('error', () => {});
    client.on('message', (topic, payload, packet) => checker.check(topic, payload, packet.retain));
    if (!client.connected) await new Promise((r) => client.once('connect', r));
    await client.subscribeAsync('lineside/#', { qos: 1 });
    return checker;
  }

  get total(): number {
    let n = 0;
    for (const v of this.seen.values()) n += v;
    return n;
  }

  /**
   * Resolves once everything the broker queued for this checker before the call has been checked.
   * After an outage the checker reconnects on its own schedule, so a test that saw everything
   * arrive elsewhere waits for it before reading the violations. The barrier is a probe message
   * published now: the broker delivers this session's messages in order, so the probe comes last.
   */
  async flush(timeoutMs: number): Promise<void> {
    const client = this.#client;
    if (!client) throw new Error('not attached');
    const topic = `lineside/v1/_probe/checker-${Math.random().toString(16).slice(2)}`;
    const back = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('message', onMessage);
        reject(new Error(`the contract checker's probe did not come back within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (t: string) => {
        if (t !== topic) return;
        clearTimeout(timer);
        client.off('message', onMessage);
        resolve();
      };
      client.on('message', onMessage);
    });
    await client.publishAsync(topic, 'probe', { qos: 1 });
    await back;
  }

  /** Check one message; returns (and records) its violations. */
  check(topic: string, payload: Uint8Array, retain = false): Violation[] {
    const text = Buffer.from(payload).toString('utf8');
    const found: Violation[] = [];
    const fail = (problem: string) => found.push({ topic, problem, payload: text.slice(0, 300) });
    const at = messageForTopic(topic);
    // Requests on `.../cmd/{name}` are the sender's, not the agent's (tests send unknown ones on purpose).
    if (!this.#opts.commands && /^lineside\/v1\/(?:[^/]+\/){5}cmd\/[^/]+$/.test(topic)) return [];
    if (!at) {
      // Test probes (`lineside/v1/_probe`) are not the agent's; every other topic must be in the contract.
      if (!topic.includes('/_probe')) fail('topic is not in the contract');
    } else if (at.message.action === 'receive' && !this.#opts.commands) {
      return [];
    } else if (payload.byteLength === 0 && retain && at.message.retained) {
      return []; // clearing a retained message
    } else {
      this.seen.set(at.message.id, (this.seen.get(at.message.id) ?? 0) + 1);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        fail('payload is not JSON');
      }
      if (json !== undefined) this.#validate(at.message, at.params, json, retain, fail);
    }
    this.violations.push(...found);
    return found;
  }

  #validate(m: ContractMessage, params: Record<string, string>, json: unknown, retain: boolean, fail: (p: string) => void): void {
    const validate = this.#validators.get(m.id)!;
    if (!validate(json)) {
      for (const e of validate.errors ?? []) fail(`${m.id}: ${e.instancePath || '(root)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
      return;
    }
    const p = json as Record<string, unknown>;
    if (m.enveloped) {
      if (p.machine !== params.machine) fail(`envelope machine "${String(p.machine)}" is not the topic's "${params.machine}"`);
      if (!String(p.msgId).endsWith(`:${String(p.seq)}`)) fail(`msgId ${String(p.msgId)} does not end in the seq ${String(p.seq)}`);
    }
    if (m.id === 'agentStatus' && p.agentId !== params.agentId) fail(`agentId "${String(p.agentId)}" is not the topic's "${params.agentId}"`);
    if (m.id === 'commandReply') {
      if (p.machine !== params.machine || p.command !== params.command) fail('reply machine/command differ from the topic');
      if (p.status === 'rejected' && !(typeof p.code === 'string' && isErrorCode(p.code))) fail(`rejected without a registered error code (${String(p.code)})`);
    }
    if (retain && !m.retained) fail(`${m.id} must not be retained`);
  }

  /** A readable summary for assertion messages. */
  report(): string {
    const first = this.violations.slice(0, 5).map((v) => `  ${v.topic}: ${v.problem}\n    ${v.payload}`);
    return `${this.violations.length} contract violations in ${this.total} messages${first.length ? `:\n${first.join('\n')}` : ''}`;
  }

  async close(): Promise<void> {
    await this.#client?.endAsync(true);
  }
}
