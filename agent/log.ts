// One pino logger for the agent: JSON by default, pretty on a terminal, secrets redacted.
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import type Pretty from 'pino-pretty';
import { redactUrlCredentials } from '../config/redact.ts';

/**
 * Keys whose values never reach a log line, at any of the first three levels of nesting. Every
 * field marked secret in the config schema must be among them (test/unit/log/redact.test.ts).
 */
export const SECRET_KEYS = ['password', 'passwordHash', 'token', 'key', 'secret', 'secrets', 'bearer', 'headers', 'privateKey', 'authorization'];
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

export interface LogOptions {
  level: LevelWithSilent;
  /** Force pretty or JSON; default: pretty when the destination is a TTY. */
  pretty?: boolean;
  /** File descriptor to write to; 1 (stdout) by default. */
  fd?: number;
  /** Write to this stream instead of a file descriptor (always JSON). */
  stream?: DestinationStream;
}

export function createLogger(opts: LogOptions): Logger {
  const fd = opts.fd ?? 1;
  const tty = fd === 1 ? process.stdout.isTTY : fd === 2 ? process.stderr.isTTY : false;
  const base = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // A broker URL may carry `user:password@`; whoever logs one, the password stays out.
    serializers: { url: (v: unknown) => (typeof v === 'string' ? redactUrlCredentials(v) : v) },
    base: { pid: process.pid },
  };
  if (opts.stream) return pino(base, opts.stream);
  if (opts.pretty ?? tty) {
    // Loaded only on a terminal: an agent under systemd or Docker logs JSON and never needs it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof Pretty;
    return pino(base, pretty({ colorize: true, sync: true, destination: fd, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(base, pino.destination({ fd, sync: false }));
}

export type { Logger };
