// A validated command as a call on the machine pipeline. The MQTT command handler and
// `lineside replay` both apply commands through here, so a command means the same on either path:
// the same fields, the same time, the same expiry.
import type { CommandResult, CommandTarget } from '../events.ts';
import { MAX_ISSUED_AHEAD_MS, type DowntimeReasonCommand, type JobCommand } from '../contract/commands.ts';
import { E } from '../errors.ts';

/** A command's payload as applied: the command id only matters to de-duplication, before this. */
export type CommandBody<T> = T extends unknown ? Omit<T, 'commandId'> : never;

export type AppliedCommand = { name: 'job'; body: CommandBody<JobCommand> } | { name: 'downtime-reason'; body: CommandBody<DowntimeReasonCommand> };

/**
 * The time a command takes effect, or why it must not: its `issuedAt` (a command that waited at
 * the broker happened when it was sent, not when the agent came back), never after it was
 * received; rejected when past `expiresAt`, or when `issuedAt` is so far ahead that the sender's
 * clock is wrong (and its `expiresAt` with it). The pipeline itself keeps the time from going back
 * before facts it already published.
 */
export function commandTime(body: { issuedAt?: string | undefined; expiresAt?: string | undefined }, receivedAt: number): { ok: true; at: number } | { ok: false; code: string; reason: string } {
  if (body.expiresAt !== undefined) {
    const expires = Date.parse(body.expiresAt);
    if (receivedAt > expires) return { ok: false, code: E.LS_CMD_EXPIRED, reason: `expired at ${new Date(expires).toISOString()}, received ${new Date(receivedAt).toISOString()}` };
  }
  if (body.issuedAt === undefined) return { ok: true, at: receivedAt };
  const issued = Date.parse(body.issuedAt);
  if (issued - receivedAt > MAX_ISSUED_AHEAD_MS) return { ok: false, code: E.LS_CMD_INVALID, reason: `issuedAt: ${Math.round((issued - receivedAt) / 1000)} s ahead of the agent's clock (at most ${MAX_ISSUED_AHEAD_MS / 1000} s); check the sender's clock` };
  return { ok: true, at: Math.min(issued, receivedAt) };
}

/** Apply a command received at `receivedAt` (ms): at its issue time, unless it expired. */
export function applyCommand(target: CommandTarget, machine: string, cmd: AppliedCommand, receivedAt: number): CommandResult {
  const when = commandTime(cmd.body, receivedAt);
  if (!when.ok) return when;
  const at = when.at;
  if (cmd.name === 'job') {
    const job = cmd.body;
    if (job.action === 'end') return target.endJob(machine, job.orderId, at);
    return target.startJob(machine, { orderId: job.orderId, product: job.product, idealCycleTime: job.idealCycleTime, ...(job.target !== undefined ? { targetQuantity: job.target } : {}) }, at);
  }
  const dr = cmd.body;
  return target.assignDowntimeReason(machine, dr.eventId, dr.reasonCode, at, { ...(dr.text !== undefined ? { text: dr.text } : {}), ...(dr.by !== undefined ? { by: dr.by } : {}) });
}
