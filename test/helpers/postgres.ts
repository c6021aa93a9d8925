// A throwaway PostgreSQL 15 cluster for one test file: initdb into a temp dir owned by the
// `postgres` user (the server refuses to run as root), a free 127.0.0.1 port, its unix socket in
// the temp dir. Durability is switched off for speed unless a caller (the benchmark) wants it.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './mosquitto.ts';

const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresOptions {
  /** Keep fsync and synchronous commit on (benchmarks); tests run without. */
  durable?: boolean;
  /** Extra postgresql.conf lines. */
  settings?: string[];
}

export class Postgres {
  readonly dir: string;
  readonly port: number;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** postgres://postgres@127.0.0.1:{port}/{db} */
  url(db = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  static async start(o: PostgresOptions = {}): Promise<Postgres> {
    const dir = mkdtempSync(join(tmpdir(), 'lineside-pg-'));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
    }
    const run = (cmd: string, args: string[]) => {
      const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args], { encoding: 'utf8' }) : spawnSync(join(BIN, cmd), args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}${r.stdout}`);
    };
    const data = join(dir, 'data');
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const port = await freePort();
    const conf = [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'max_connections = 50',
      'shared_buffers = 128MB',
      ...(o.durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
      'log_min_messages = warning',
      ...(o.settings ?? []),
      '',
    ];
    writeFileSync(join(data, 'postgresql.auto.conf'), conf.join('\n'));
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
    return new Postgres(dir, port);
  }

  /** Creates a database (one per test keeps tests apart in one cluster). */
  async createDb(name: string): Promise<string> {
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  stop(): void {
    const args = ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop'];
    if (process.getuid?.() === 0) spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, 'pg_ctl'), ...args]);
    else spawnSync(join(BIN, 'pg_ctl'), args);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
