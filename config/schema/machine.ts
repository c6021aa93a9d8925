// One machine: its driver and connection, its tags, and how tags map to the signals OEE needs.
import { z } from 'zod';
import { duration, int, text, topicLevel } from './units.ts';
import { modbusConnectionSchema, modbusTagSchema } from './modbus.ts';
import { opcuaConnectionSchema, opcuaTagSchema } from './opcua.ts';
import { simConnectionSchema } from './sim.ts';

const tagRef = topicLevel('a tag name');
const scalar = z.union([z.number(), z.boolean(), z.string()], { error: 'expected a number, boolean or string' });

const boolSignal = z.strictObject({
  tag: tagRef.describe('Tag that carries the signal.'),
  equals: scalar.optional().describe('The signal is on when the tag equals this value; by default when the tag is truthy (non-zero).'),
  invert: z.boolean({ error: 'expected true or false' }).prefault(false).describe('Use the opposite of the value.'),
});

const counterSignal = z.strictObject({
  tag: tagRef.describe('Tag of the PLC counter.'),
  width: z.union([z.literal(16), z.literal(32), z.literal(64)], { error: 'expected 16, 32 or 64' }).prefault(32).describe('Bit width: the counter wraps to 0 after 2^width − 1.'),
  maxDelta: int(1, Number.MAX_SAFE_INTEGER).optional().describe('Largest plausible increase between two readings; a larger jump is flagged and not counted. Default: derived from the ideal cycle time.'),
});

export const signalsSchema = z
  .strictObject({
    running: boolSignal.optional().describe('On while the machine runs. Without it, the part counter advancing means running.'),
    partCount: counterSignal.optional().describe('Total parts made (good + reject).'),
    rejectCount: counterSignal.optional().describe('Rejected parts. Give this or goodCount.'),
    goodCount: counterSignal.optional().describe('Good parts, when the PLC counts good rather than rejects.'),
    faultCode: z.strictObject({ tag: tagRef.describe('Tag of the fault code; 0 means no fault.') }).optional().describe('Fault code; mapped to a downtime reason by `faults`.'),
    changeover: boolSignal.optional().describe('On during a changeover / setup.'),
    plannedStop: boolSignal.optional().describe('On when the machine reports a planned stop itself (e.g. no order), besides the calendar.'),
  })
  .refine((s) => s.running !== undefined || s.partCount !== undefined, { error: 'expected at least one of running or partCount' })
  .refine((s) => !(s.rejectCount && s.goodCount), { error: 'give rejectCount or goodCount, not both' })
  .describe('Where the OEE pipeline finds each signal, by tag name. Required, except for `sim` machines, whose default maps the simulator tags (running, partCount, rejectCount, faultCode, changeover = mode 2).');

export const statesSchema = z
  .strictObject({
    debounce: duration({ max: '10m' }).prefault('2s').describe('A state must hold this long before it is reported (filters flicker).'),
    microStop: duration({ max: '1h' }).prefault('2m').describe('Unplanned stops shorter than this are micro-stops (a performance loss, not availability).'),
    staleAfter: duration({ min: '100ms' }).optional().describe('No good reading for this long means state unknown (communication lost). Default: 3 × pollInterval, at least 5s; none for OPC UA subscriptions (report by exception), where all tags bad means unknown.'),
  })
  .describe('State machine tuning.');

/** The signals of a sim machine that maps none itself: the simulator's own tags. */
export const SIM_SIGNALS = {
  running: { tag: 'running', invert: false },
  partCount: { tag: 'partCount', width: 32 },
  rejectCount: { tag: 'rejectCount', width: 32 },
  faultCode: { tag: 'faultCode' },
  changeover: { tag: 'mode', equals: 2, invert: false },
} satisfies z.input<typeof signalsSchema>;

/** What every machine has, whatever its driver (`lineside replay` reads machines as these alone). */
export const machineFields = {
  id: topicLevel('a machine id').describe('Machine id; a topic level and the key of everything published for it.'),
  name: text().optional().describe('Human name, for dashboards.'),
  pollInterval: duration({ min: '10ms', max: '1h' }).prefault('1s').describe('How often polled tags are read.'),
  idealCycleTime: duration({ min: '1ms' }).describe('Ideal (fastest sustainable) time per part; performance uses it. A job order can replace it.'),
  signals: signalsSchema,
  faults: z.record(z.string().regex(/^-?\d+$/, { error: 'expected an integer fault code as key' }), topicLevel('a reason code')).prefault({}).describe('Fault code → reason code (from `reasons`). Unlisted codes get reason `fault-{code}`.'),
  states: statesSchema.prefault({}),
  telemetry: z
    .strictObject({
      tags: z.array(tagRef).optional().describe('Tags published as telemetry; default all.'),
      interval: duration({ min: '100ms' }).prefault('10s').describe('Telemetry is published on change, at most once per this interval per tag, and at least once per this interval.'),
    })
    .prefault({})
    .describe('Raw tag values forwarded as telemetry.'),
};

export const machineSchema = z.discriminatedUnion(
  'driver',
  [
    z.strictObject({ ...machineFields, driver: z.literal('modbus').describe('Modbus TCP / RTU.'), connection: modbusConnectionSchema, tags: z.array(modbusTagSchema).min(1, { error: 'expected at least one tag' }).describe('Registers read from the device.') }),
    z.strictObject({ ...machineFields, driver: z.literal('opcua').describe('OPC UA client.'), connection: opcuaConnectionSchema, tags: z.array(opcuaTagSchema).min(1, { error: 'expected at least one tag' }).describe('Variables read or monitored.') }),
    z.strictObject({
      ...machineFields,
      driver: z.literal('sim').describe('Built-in simulated machine.'),
      connection: simConnectionSchema.prefault({}),
      signals: signalsSchema.prefault(SIM_SIGNALS),
    }),
  ],
  { error: 'expected driver sim | modbus | opcua' },
);

export const reasonSchema = z.strictObject({
  text: text().describe('Human text of the reason.'),
  category: z.enum(['availability', 'performance', 'planned'], { error: 'expected availability | performance | planned' }).prefault('availability').describe('`availability`: counts as stop time; `performance`: counted as running (speed loss); `planned`: excluded from planned production time.'),
});

export type MachineConfig = z.output<typeof machineSchema>;
export type SignalsConfig = z.output<typeof signalsSchema>;
export type ReasonConfig = z.output<typeof reasonSchema>;
