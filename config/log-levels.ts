// pino's levels, for the config schema and the CLI's --log-level. Its own module so the CLI can list
// them without loading the schema (and zod).
import type { LevelWithSilent } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LevelWithSilent[];
