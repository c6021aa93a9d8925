// Error codes of command replies: the `LS_CMD_…` part of the registry in agent/errors.ts.
// docs/STORE-AND-FORWARD.md lists them (a test keeps that list true).
import { E, ERRORS, isErrorCode, type ErrorCode, type ErrorCodeInfo } from '../errors.ts';

type CmdCode = Extract<ErrorCode, `LS_CMD_${string}`>;

export const COMMAND_ERRORS = Object.fromEntries(
  Object.entries(ERRORS as Record<string, ErrorCodeInfo>).filter(([c, i]) => c.startsWith('LS_CMD_') && i.where.includes('command-reply')).map(([c, i]) => [c, i.meaning]),
) as Record<CmdCode, string>;

export type CommandErrorCode = CmdCode;

/** The pipeline's own result codes (kebab-case) as reply codes. */
const PIPELINE_CODES: Record<string, CommandErrorCode> = {
  'invalid-job': E.LS_CMD_INVALID_JOB,
  'no-such-job': E.LS_CMD_NO_SUCH_JOB,
  'unknown-event': E.LS_CMD_UNKNOWN_EVENT,
  'unknown-reason': E.LS_CMD_UNKNOWN_REASON,
  'unknown-machine': E.LS_CMD_UNKNOWN_MACHINE,
  'not-running': E.LS_CMD_UNAVAILABLE,
  internal: E.LS_CMD_FAILED,
};

/**
 * A reply code for whatever code the command target gave: registered codes pass, the pipeline's
 * own codes are mapped, anything else becomes LS_CMD_REJECTED (replies only carry registered codes).
 */
export function replyCode(code: string): ErrorCode {
  if (isErrorCode(code)) return code;
  return PIPELINE_CODES[code] ?? E.LS_CMD_REJECTED;
}
