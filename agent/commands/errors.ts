// Error codes of command replies, defined once; docs/STORE-AND-FORWARD.md lists them (a test
// keeps that list true).
export const COMMAND_ERRORS = {
  LS_CMD_TOO_LARGE: 'The payload is larger than the limit (16 KiB); it was not read.',
  LS_CMD_BAD_JSON: 'The payload is not valid UTF-8 JSON.',
  LS_CMD_INVALID: 'The JSON does not match the command schema (the reason names the field).',
  LS_CMD_UNKNOWN_COMMAND: 'No command of this name exists (known: job, downtime-reason).',
  LS_CMD_UNKNOWN_MACHINE: 'This agent has no machine with the id in the topic.',
  LS_CMD_UNAVAILABLE: 'The machine pipeline that applies commands is not running in this build or state.',
  LS_CMD_FAILED: 'Applying the command failed inside the agent; it was not applied.',
  LS_CMD_INVALID_JOB: 'The job order cannot be started as given (the reason says why).',
  LS_CMD_NO_SUCH_JOB: 'The order to end is not the job running on the machine.',
  LS_CMD_UNKNOWN_EVENT: 'No downtime event with this id on the machine.',
  LS_CMD_UNKNOWN_REASON: 'The reason code is not in the configured reason catalogue.',
} as const;

export type CommandErrorCode = keyof typeof COMMAND_ERRORS;

/** The pipeline's own result codes (kebab-case) as reply codes. */
const PIPELINE_CODES: Record<string, CommandErrorCode> = {
  'invalid-job': 'LS_CMD_INVALID_JOB',
  'no-such-job': 'LS_CMD_NO_SUCH_JOB',
  'unknown-event': 'LS_CMD_UNKNOWN_EVENT',
  'unknown-reason': 'LS_CMD_UNKNOWN_REASON',
  'unknown-machine': 'LS_CMD_UNKNOWN_MACHINE',
  'not-running': 'LS_CMD_UNAVAILABLE',
  internal: 'LS_CMD_FAILED',
};

/** A reply code for whatever code the command target gave: LS_… codes pass, others are mapped. */
export function replyCode(code: string): string {
  if (/^LS_[A-Z0-9_]+$/.test(code)) return code;
  return PIPELINE_CODES[code] ?? `LS_CMD_${code.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'REJECTED'}`;
}
