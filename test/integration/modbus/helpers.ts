// Shared pieces of the Modbus integration tests: machine configs, a driver context, pymodbus.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { machineSchema, type MachineConfig } from '../../../config/schema/machine.ts';
import type { DriverContext, Reading } from '../../../drivers/driver.ts';

export const PYMODBUS_SERVER = fileURLToPath(new URL('../../fixtures/modbus/pymodbus_server.py', import.meta.url));

export function modbusMachine(id: string, connection: Record<string, unknown>, tags: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): MachineConfig {
  return machineSchema.parse({
    id,
    driver: 'modbus',
    idealCycleTime: '1s',
    connection,
    tags,
    signals: { running: { tag: String(tags[0]!.name) } },
    ...extra,
  });
}

export interface LogRecord { level: number; msg: string; [k: string]: unknown }

/** A driver context whose log lines are kept for assertions. */
export function context(now: () => number = Date.now): DriverContext & { logs: LogRecord[] } {
  const logs: LogRecord[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s) as LogRecord) });
  return { log, now, emit() {}, lost() {}, dataDir: '/nonexistent', logs };
}

export function byTag(readings: Reading[]): Record<string, Reading> {
  return Object.fromEntries(readings.map((r) => [r.tag, r]));
}

/** Starts the pymodbus fixture with the given spec; resolves once it listens. */
export async function startPymodbus(dir: string, spec: unknown): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const file = join(dir, 'pymodbus-spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const child = spawn('/usr/bin/python3', [PYMODBUS_SERVER, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pymodbus did not start: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`pymodbus exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^PORT (\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return {
    port,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Resolves when `check` holds, polling on the event loop (no fixed sleeps in assertions). */
export async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
