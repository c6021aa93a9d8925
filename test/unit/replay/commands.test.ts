import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyCommand } from '../../../agent/commands/apply.ts';
import { CommandHandler } from '../../../agent/commands/handler.ts';
import type { CommandTarget } from '../../../agent/events.ts';
import { parseCommand } from '../../../agent/replay/commands.ts';
import { parseJsonLines } from '../../../agent/replay/jsonl.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { replayConfig } from './setup.ts';

const AT = Date.UTC(2026, 10, 23, 6);

function recordingTarget() {
  const calls: unknown[][] = [];
  const target: CommandTarget = {
    startJob: (...a) => (calls.push(['startJob', ...a]), { ok: true }),
    endJob: (...a) => (calls.push(['endJob', ...a]), { ok: true }),
    assignDowntimeReason: (...a) => (calls.push(['assignDowntimeReason', ...a]), { ok: true }),
  };
  return { calls, target };
}

/** What the MQTT path does with a payload: the reply status and the calls on the pipeline. */
function viaMqtt(name: string, payload: unknown) {
  const { calls, target } = recordingTarget();
  const seen = new Map<string, string>();
  const handler = new CommandHandler({
    root: { enterprise: 'e', site: 's', area: 'a', line: 'l' }, machines: ['m1'], target, logger: captureLog().log, now: () => AT,
    log: { recallCommand: (k) => seen.get(k), rememberCommand: (k, _m, _n, reply) => void seen.set(k, reply) },
    transport: { onConnect() {}, publishDirect: async () => true },
  });
  return { status: handler.handle('m1', name, Buffer.from(JSON.stringify(payload))).status, calls };
}

/** What replay does with the same payload. */
function viaReplay(name: string, payload: unknown) {
  const { calls, target } = recordingTarget();
  const r = parseCommand(name, payload);
  if ('problems' in r) return { status: 'rejected', calls };
  applyCommand(target, 'm1', r.command, AT);
  return { status: 'accepted', calls };
}

const PAYLOADS: Array<[string, Record<string, unknown>]> = [
  ['job', { commandId: 'c1', action: 'start', orderId: 'PO-1', product: 'A', idealCycleTime: 900, target: 500 }],
  ['job', { commandId: 'c2', action: 'start', orderId: 'PO-1', product: 'A', idealCycleTime: 900 }],
  ['job', { commandId: 'c3', action: 'end', orderId: 'PO-1' }],
  ['downtime-reason', { commandId: 'c4', eventId: 'm1-1', reasonCode: 'jam', text: 'feeder', by: 'anna' }],
  // replay's former field names, a misspelt field, a missing id, a bad value, an unknown action
  ['job', { commandId: 'c5', action: 'start', orderId: 'PO-1', product: 'A', idealCycleTime: 900, targetQuantity: 500 }],
  ['downtime-reason', { commandId: 'c6', eventId: 'm1-1', reason: 'jam' }],
  ['downtime-reason', { commandId: 'c7', eventId: 'm1-1', reasonCode: 'jam', txt: 'x' }],
  ['job', { action: 'end', orderId: 'PO-1' }],
  ['job', { commandId: 'c9', action: 'start', orderId: 'PO-1', product: 'A', idealCycleTime: -1 }],
  ['job', { commandId: 'c10', action: 'pause', orderId: 'PO-1' }],
];

describe('replay commands', () => {
  it('accept and reject exactly what MQTT does, and make the same calls on the pipeline', () => {
    for (const [name, payload] of PAYLOADS) {
      assert.deepEqual(viaReplay(name, payload), viaMqtt(name, payload), `${name} ${JSON.stringify(payload)}`);
    }
    assert.deepEqual(viaReplay(...PAYLOADS[0]!).calls, [['startJob', 'm1', { orderId: 'PO-1', product: 'A', idealCycleTime: 900, targetQuantity: 500 }, AT]]);
  });

  it('name the line and the field of every problem', () => {
    const config = replayConfig();
    const lines = [
      { ts: AT, machine: 'm1', cmd: 'job', payload: PAYLOADS[4]![1] },
      { ts: AT, machine: 'm1', cmd: 'downtime-reason', payload: PAYLOADS[5]![1] },
      { ts: AT, machine: 'm1', cmd: 'job', payload: { commandId: 'c', action: 'start', orderId: 'PO-1', idealCycleTime: 900 } },
      { ts: AT, machine: 'm1', cmd: 'jobs', payload: {} },
      { ts: AT, machine: 'm1', startJob: { orderId: 'PO-1', product: 'A', idealCycleTime: 900 } },
      { ts: AT, machine: 'm1', cmd: 'job', payload: PAYLOADS[0]![1], note: 'x' },
    ];
    const { problems } = parseJsonLines(lines.map((l) => JSON.stringify(l)).join('\n'), config);
    assert.deepEqual(problems, [
      'line 1: payload.targetQuantity: unknown field; did you mean "target"?',
      'line 2: payload.reasonCode: missing; expected a string',
      'line 2: payload.reason: unknown field; did you mean "reasonCode"?',
      'line 3: payload.product: missing; expected a string',
      'line 4: cmd: expected job | downtime-reason, got "jobs"',
      'line 5: startJob: commands are written as the MQTT contract has them: {"cmd":"job","payload":{"commandId":…,"action":"start",…}}',
      'line 6: note: unknown field; expected ts, machine, cmd, payload',
    ]);
  });
});
