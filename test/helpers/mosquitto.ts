// A real mosquitto broker for tests: a free 127.0.0.1 port, a generated config, persistence in
// a temp dir (so subscriber sessions survive a restart), stop/restart on the same port, and
// readiness awaited by connecting to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { tempDir } from './tmp.ts';

/** Debian installs the broker in /usr/sbin, which a non-login PATH may lack. */
const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? 'mosquitto';

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface MosquittoOptions {
  /** Extra lines for mosquitto.conf. */
  extra?: string[];
  /** Directory for config and persistence; default: a temp dir removed after the test file. */
  dir?: string;
  /** Lines for the listener (TLS files, require_certificate, ...). */
  listener?: string[];
  /** Allow clients without username (default true). */
  anonymous?: boolean;
  /** Options of the readiness probe (TLS, credentials); the URL scheme follows `tls`. */
  probe?: IClientOptions;
}

export class Mosquitto {
  readonly dir: string;
  port = 0;
  log = '';
  #proc: ChildProcess | undefined;
  #opts: MosquittoOptions;

  constructor(opts: MosquittoOptions = {}) {
    this.dir = opts.dir ?? tempDir('lineside-mosq-');
    this.#opts = opts;
  }

  static async start(opts: MosquittoOptions = {}): Promise<Mosquitto> {
    const m = new Mosquitto(opts);
    m.port = await freePort();
    await m.restart();
    return m;
  }

  get url(): string {
    return `${this.#opts.listener?.some((l) => l.startsWith('certfile')) ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#proc !== undefined && this.#proc.exitCode === null;
  }

  /** Start (again) on the same port; resolves once a client could connect. */
  async restart(): Promise<void> {
    if (this.running) return;
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${this.port} 127.0.0.1`,
        ...(this.#opts.listener ?? []),
        `allow_anonymous ${this.#opts.anonymous ?? true}`,
        'persistence true',
        `persistence_location ${this.dir}/`,
        'autosave_interval 0',
        'max_queued_messages 0',
        'max_queued_bytes 0',
        'max_inflight_messages 0',
        // Run as root, mosquitto switches to user "mosquitto", which cannot use our 0700 temp dir.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        ...(this.#opts.extra ?? []),
        '',
      ].join('\n'),
    );
    const proc = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${this.log}`);
      if (await canConnect(this.url, this.#opts.probe)) return;
      if (Date.now() > deadline) throw new Error(`mosquitto not accepting connections on ${this.port}: ${this.log}`);
    }
  }

  /** Graceful stop (SIGTERM: sessions and queues are saved for the restart). */
  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p || p.exitCode !== null) return;
    const exited = once(p, 'exit');
    p.kill('SIGTERM');
    await exited;
  }
}

/** One connection attempt; false when refused or not answered in time. */
async function canConnect(url: string, probe: IClientOptions = {}): Promise<boolean> {
  const client = mqtt.connect(url, { ...probe, reconnectPeriod: 0, connectTimeout: 1000, clientId: `probe-${process.pid}-${Math.random().toString(16).slice(2)}` });
  client.on('error', () => {});
  const ok = await new Promise<boolean>((resolve) => {
    client.once('connect', () => resolve(true));
    client.once('close', () => {
      // A refused connection fails at once; wait a moment so the retry loop is not a busy spin.
      setTimeout(() => resolve(false), 50);
    });
  });
  client.end(true);
  return ok;
}
