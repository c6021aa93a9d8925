// What `lineside replay` reads of a configuration: how each machine's tags make its signals, its
// state tuning, the shift calendar, OEE settings and the reason catalogue. Replay talks to no
// device and no broker, so a machine needs no driver, connection or tag addresses, and agent,
// location and mqtt are not needed. An agent's own file works too: `unreadByReplay` removes what
// replay does not read before validation, so its secrets need not be set.
import YAML from 'yaml';
import { z } from 'zod';
import { checkMachines, configSchema, oeeSchema, reasonsSchema, type LinesideConfig, type MachineConfig } from './index.ts';
import { machineFields, signalsSchema, SIM_SIGNALS } from './machine.ts';
import { opcuaConnectionSchema } from './opcua.ts';
import { shiftsSchema } from './shifts.ts';
import { simConnectionSchema } from './sim.ts';
import { topicLevel } from './units.ts';

const SECTIONS = ['shifts', 'oee', 'reasons', 'machines'] as const;

const replayMachineSchema = z
  .strictObject({
    ...machineFields,
    signals: signalsSchema.optional().describe('Where the OEE pipeline finds each signal, by tag name (the tag names of the input). Required, except for a `sim` machine, which defaults to the simulator tags.'),
    driver: z.enum(['sim', 'modbus', 'opcua'], { error: 'expected driver sim | modbus | opcua, or none' }).optional().describe('Not needed. Read only so an agent configuration replays as the agent runs: a `sim` machine may leave out signals, and an OPC UA subscription reports by exception (a quiet one is not stale).'),
    // Only `mode` is left of a connection by unreadByReplay; its default is the OPC UA one.
    connection: z.strictObject({ mode: opcuaConnectionSchema.shape.mode }).prefault({}).describe('Not needed; not read, except an OPC UA machine\'s `mode`.'),
    tags: z.array(z.strictObject({ name: topicLevel('a tag name') })).optional().describe('Not needed. When given, signals and telemetry must name these tags; only the names are read.'),
  })
  .superRefine((m, ctx) => {
    if (!m.signals && m.driver !== 'sim') ctx.addIssue({ code: 'custom', path: ['signals'], message: 'missing; expected the signals mapping (only a sim machine has a default)' });
  });

type ReplayMachine = z.output<typeof replayMachineSchema>;

const SIM_CONNECTION = simConnectionSchema.parse({});
const SIM_SIGNALS_PARSED = signalsSchema.parse(SIM_SIGNALS);

/**
 * The pipeline's view of a replay machine. Of a driver, the pipeline reads only whether readings
 * come by exception (an OPC UA subscription, machine-pipeline.ts); every other machine is one
 * whose readings come by poll, which a sim machine, having no connection to speak of, describes
 * exactly.
 */
function forPipeline(m: ReplayMachine): MachineConfig {
  const { driver, connection, tags: _tags, signals, ...fields } = m;
  const machine = { ...fields, signals: signals ?? SIM_SIGNALS_PARSED };
  if (driver === 'opcua' && connection.mode === 'subscribe') {
    // The pipeline reads `mode` alone of an OPC UA connection; the rest is not known off-line.
    return { ...machine, driver, connection: { mode: 'subscribe' }, tags: [] } as unknown as MachineConfig;
  }
  return { ...machine, driver: 'sim', connection: SIM_CONNECTION };
}

export type ReplayConfig = Pick<LinesideConfig, 'shifts' | 'oee' | 'reasons' | 'machines'>;

export const replayConfigSchema = z
  .strictObject({
    shifts: shiftsSchema.prefault({}),
    oee: oeeSchema.prefault({}),
    reasons: reasonsSchema,
    machines: z.array(replayMachineSchema).min(1, { error: 'expected at least one machine' }).describe('The machines of the input.'),
  })
  .superRefine((cfg, ctx) => checkMachines(cfg, ctx, (m) => m.tags?.map((t) => t.name)))
  .transform((cfg): ReplayConfig => ({ ...cfg, machines: cfg.machines.map(forPipeline) }));

/** Sections of an agent configuration that replay skips. */
const SKIPPED = new Set(Object.keys(configSchema.shape).filter((k) => !(SECTIONS as readonly string[]).includes(k)));

/**
 * Remove what replay does not read: the agent's other sections, connection details (but an OPC
 * UA `mode`) and tag addresses (but names). Unknown keys stay, so a typo is still reported.
 */
export function unreadByReplay(doc: YAML.Document): void {
  if (!YAML.isMap(doc.contents)) return;
  doc.contents.items = doc.contents.items.filter((p) => !(YAML.isScalar(p.key) && SKIPPED.has(String(p.key.value))));
  const machines = doc.get('machines', true);
  if (!YAML.isSeq(machines)) return;
  for (const m of machines.items) {
    if (!YAML.isMap(m)) continue;
    keepOnly(m.get('connection', true), 'mode');
    const tags = m.get('tags', true);
    if (YAML.isSeq(tags)) for (const t of tags.items) keepOnly(t, 'name');
  }
}

function keepOnly(node: unknown, key: string): void {
  if (YAML.isMap(node)) node.items = node.items.filter((p) => YAML.isScalar(p.key) && p.key.value === key);
}
