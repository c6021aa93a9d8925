// The one source of the configuration: types, validation, defaults and descriptions.
// JSON Schema (`lineside schema`) and docs/CONFIG.md are generated from this.
import { z } from 'zod';
import { agentSchema, historySchema, httpSchema, locationSchema } from './agent.ts';
import { bufferSchema } from './buffer.ts';
import { modbusDevices } from './devices.ts';
import { housekeepingSchema } from './housekeeping.ts';
import { machineSchema, reasonSchema, type MachineConfig } from './machine.ts';
import { mqttSchema } from './mqtt.ts';
import { checkWebhookMachines, webhooksSchema } from './webhooks.ts';
import { checkSparkplugMachines, sparkplugSchema } from './sparkplug.ts';
import { shiftsSchema } from './shifts.ts';
import { SIM_TAGS } from './sim.ts';
import { duration, topicLevel } from './units.ts';

export const oeeSchema = z
  .strictObject({
    liveInterval: duration({ min: '1s' }).prefault('60s').describe('How often provisional (live) OEE of open periods is published.'),
    excludeCommunicationLoss: z.boolean({ error: 'expected true or false' }).prefault(true).describe('Communication-loss time leaves planned time, and parts counted across the gap are excluded with it. Off: the gap counts as stop time and its parts count.'),
    periods: z.array(z.enum(['shift', 'hour', 'job'], { error: 'expected shift | hour | job' })).prefault(['shift', 'hour', 'job']).describe('Periods OEE is computed for.'),
  })
  .describe('OEE computation.');

const DEFAULT_REASONS = {
  unassigned: { text: 'No reason given yet', category: 'availability' as const },
  'micro-stop': { text: 'Micro-stop', category: 'performance' as const },
  changeover: { text: 'Changeover', category: 'availability' as const },
};

export const reasonsSchema = z
  .record(topicLevel('a reason code'), reasonSchema)
  .prefault({})
  .transform((r) => ({ ...DEFAULT_REASONS, ...r }))
  .describe('Downtime reason catalogue: code → text and loss category. `unassigned`, `micro-stop` and `changeover` exist by default.');

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Tag names a machine offers to signals and telemetry. */
export function tagNames(m: MachineConfig): string[] {
  return m.driver === 'sim' ? [...SIM_TAGS] : m.tags.map((t) => t.name);
}

/** The machine fields the cross-checks read (a replay machine may leave out signals). */
type CheckedMachine = Pick<MachineConfig, 'id' | 'telemetry' | 'faults'> & { signals?: MachineConfig['signals'] };

/**
 * Cross-checks of the machines: unique ids; signals and telemetry naming the machine's tags
 * (when `tagsOf` knows them); fault codes mapped to reasons in the catalogue.
 */
export function checkMachines<M extends CheckedMachine>(cfg: { machines: readonly M[]; reasons: Record<string, unknown> }, ctx: z.RefinementCtx, tagsOf: (m: M) => string[] | undefined): void {
  const seen = new Map<string, number>();
  cfg.machines.forEach((m, i) => {
    const first = seen.get(m.id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['machines', i, 'id'], message: `duplicate machine id "${m.id}" (also machines[${first}])` });
    else seen.set(m.id, i);
    const names = tagsOf(m);
    if (names) {
      const known = new Set(names);
      const dup = names.findIndex((n, j) => names.indexOf(n) !== j);
      if (dup >= 0) ctx.addIssue({ code: 'custom', path: ['machines', i, 'tags', dup, 'name'], message: `duplicate tag name "${names[dup]}"` });
      for (const [signal, def] of Object.entries(m.signals ?? {})) {
        if (def && !known.has(def.tag)) ctx.addIssue({ code: 'custom', path: ['machines', i, 'signals', signal, 'tag'], message: `expected one of the machine's tags (${names.join(', ')}), got "${def.tag}"` });
      }
      m.telemetry.tags?.forEach((t, j) => {
        if (!known.has(t)) ctx.addIssue({ code: 'custom', path: ['machines', i, 'telemetry', 'tags', j], message: `expected one of the machine's tags (${names.join(', ')}), got "${t}"` });
      });
    }
    for (const [code, reason] of Object.entries(m.faults)) {
      if (!(reason in cfg.reasons)) ctx.addIssue({ code: 'custom', path: ['machines', i, 'faults', code], message: `expected a reason code from reasons (${Object.keys(cfg.reasons).join(', ')}), got "${reason}"` });
    }
  });
}

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Editor hint; ignored.'),
    agent: agentSchema,
    location: locationSchema,
    mqtt: mqttSchema,
    webhooks: webhooksSchema,
    sparkplug: sparkplugSchema.optional(),
    buffer: bufferSchema.prefault({}),
    http: httpSchema.prefault({}),
    history: historySchema.prefault({}),
    housekeeping: housekeepingSchema.prefault({}),
    shifts: shiftsSchema.prefault({}),
    oee: oeeSchema.prefault({}),
    reasons: reasonsSchema,
    machines: z.array(machineSchema).min(1, { error: 'expected at least one machine' }).superRefine(modbusDevices).describe('The machines this agent polls.'),
  })
  .superRefine((cfg, ctx) => {
    checkMachines(cfg, ctx, tagNames);
    checkWebhookMachines(cfg, ctx);
    checkSparkplugMachines(cfg, ctx);
    if (cfg.http.enabled && !LOOPBACK.has(cfg.http.host) && !cfg.http.token && cfg.http.users.length === 0 && cfg.http.tokens.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['http', 'token'], message: `required when http.host is not loopback ("${cfg.http.host}"): expected a bearer token of at least 16 characters (or http.users / http.tokens for the line station\'s roles)` });
    }
  });

export type LinesideConfig = z.output<typeof configSchema>;
export type LinesideConfigInput = z.input<typeof configSchema>;
export type { MachineConfig, SignalsConfig, ReasonConfig } from './machine.ts';
export type { ShiftsConfig, ShiftConfig } from './shifts.ts';
export type { ModbusConnectionConfig, ModbusTagConfig } from './modbus.ts';
export type { OpcuaConnectionConfig, OpcuaTagConfig } from './opcua.ts';
export type { SimConnectionConfig } from './sim.ts';
export type { WebhookConfig } from './webhooks.ts';
export type { SparkplugConfig } from './sparkplug.ts';
