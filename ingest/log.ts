// The ingest's logger: pino JSON lines on stdout, credentials kept out.
import pino, { type Logger } from 'pino';

export function ingestLogger(level: string): Logger {
  return pino(
    { level, base: { pid: process.pid, component: 'ingest' }, redact: { paths: ['password', '*.password', 'url', '*.url'], censor: (v) => (typeof v === 'string' ? v.replace(/\/\/[^@/]*@/, '//[redacted]@') : v) } },
    pino.destination({ fd: 1, sync: false }),
  );
}
