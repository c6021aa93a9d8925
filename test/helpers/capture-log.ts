// A real pino logger whose JSON lines are kept in memory, for asserting on what was logged.
import pino from 'pino';
import { Writable } from 'node:stream';
import type { Logger } from '../../agent/log.ts';

export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  find(match: (l: Record<string, unknown>) => boolean): Record<string, unknown> | undefined;
}

export function captureLog(level: pino.LevelWithSilent = 'debug'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as Record<string, unknown>);
      cb();
    },
  });
  const log = pino({ level }, stream);
  return { log, lines, find: (m) => lines.find(m) };
}
