// One example payload per contract message, shown in docs/asyncapi.yaml. A test parses each with
// its schema, so the examples cannot drift from the contract.
const at = '2026-03-02T06:14:05.120Z';
const sent = '2026-03-02T06:14:05.180Z';
const env = <T,>(schema: string, seq: number, data: T) => ({ schema, msgId: `edge-1:${seq}`, seq, ts: at, sentAt: sent, machine: 'press-1', replay: false, data });

const states = { unknown: 0, plannedStop: 1_800_000, fault: 600_000, changeover: 0, running: 24_300_000, stopped: 1_500_000 };

export const EXAMPLES = {
  telemetry: env('lineside.telemetry/1', 1201, {
    values: {
      speed: { value: 62.5, quality: 'good', ts: '2026-03-02T06:14:05.100Z' },
      running: { value: true, quality: 'good', ts: '2026-03-02T06:14:05.100Z' },
    },
  }),
  state: env('lineside.state/1', 1202, {
    state: 'fault',
    since: at,
    previous: { state: 'running', start: '2026-03-02T05:58:40.000Z', end: at, durationMs: 925_120 },
    reason: { code: 'F12', text: 'Hydraulic pressure low' },
    downtimeId: 'press-1-dt-1772431845120',
    faultCode: 12,
    source: 'signal',
  }),
  downtime: env('lineside.downtime/1', 1203, {
    eventId: 'press-1-dt-1772431845120',
    status: 'closed',
    state: 'fault',
    start: at,
    end: '2026-03-02T06:24:05.120Z',
    durationMs: 600_000,
    reason: { code: 'F12', text: 'Hydraulic pressure low', category: 'availability', assigned: true },
    microStop: false,
    revision: 1,
    faultCode: 12,
  }),
  oee: env('lineside.oee/1', 1204, {
    periodId: 'press-1:shift:2026-03-02T06:00:00.000Z',
    kind: 'shift',
    name: 'early',
    start: '2026-03-02T06:00:00.000Z',
    end: '2026-03-02T14:00:00.000Z',
    status: 'closed',
    revision: 0,
    availability: 0.9,
    performance: 0.95,
    quality: 0.98,
    oee: 0.8379,
    times: { elapsed: 28_800_000, plannedStop: 1_800_000, unknown: 0, planned: 27_000_000, stop: 2_100_000, run: 24_300_000, ideal: 23_085_000, availabilityLoss: 2_100_000, performanceLoss: 1_215_000, plannedDowntime: 1_800_000, states },
    counts: { total: 23_085, good: 22_623, reject: 462, excluded: 0, implausibleJumps: 0 },
    flags: [],
  }),
  job: env('lineside.job/1', 1205, {
    orderId: 'PO-4711',
    product: 'bolt-m8',
    idealCycleTimeMs: 1000,
    start: '2026-03-02T06:00:00.000Z',
    end: at,
    durationMs: 852_000,
    total: 800,
    good: 790,
    reject: 10,
    availability: 0.97,
    performance: 0.97,
    quality: 0.9875,
    oee: 0.9291,
    flags: [],
    revision: 1,
    targetQuantity: 800,
    complete: true,
  }),
  outboxDrop: env('lineside.outbox-drop/2', 1206, {
    event: 'outbox-drop',
    reason: 'maxAge',
    count: 5400,
    byKind: { telemetry: 5400 },
    firstSeq: 100,
    lastSeq: 5620,
    seqs: [[100, 2999], [3221, 5620]],
    maybeDelivered: [[100, 163]],
    fromTs: '2026-02-23T06:14:05.120Z',
    toTs: '2026-02-23T07:44:05.120Z',
  }),
  agentStatus: { schema: 'lineside.agent-status/1', agentId: 'edge-1', status: 'online', ts: at, version: '0.1.0', configHash: '3f9a1c0d2b7e' },
  jobCommand: { commandId: 'mes-7f3a', action: 'start', orderId: 'PO-4711', product: 'bolt-m8', idealCycleTime: 1000, target: 800 },
  downtimeReasonCommand: { commandId: 'mes-7f3b', eventId: 'press-1-dt-1772431845120', reasonCode: 'jam', text: 'Feeder jammed', by: 'operator 12' },
  commandReply: { schema: 'lineside.cmd-reply/1', commandId: 'mes-7f3b', machine: 'press-1', command: 'downtime-reason', status: 'rejected', code: 'LS_CMD_UNKNOWN_REASON', reason: 'reason jam is not in the reason catalogue', ts: at },
} as const;
