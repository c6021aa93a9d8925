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
} as const;

export type CommandErrorCode = keyof typeof COMMAND_ERRORS;
