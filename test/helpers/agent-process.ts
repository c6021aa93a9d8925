// A Lineside process (the real CLI, or a test fixture) as a child, its JSON log lines awaitable.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { BIN, ROOT } from './cli.ts';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export class JsonLogProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stderr = '';
  #waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];

  constructor(argv: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((w) => (w.match(line) ? (w.resolve(line), false) : true));
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** Resolves with the first log line (past or future) that matches; rejects on timeout or exit. */
  waitFor(match: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    const last = () => `stderr: ${this.stderr}; last: ${JSON.stringify(this.lines.slice(-5))}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`log line not seen in ${timeoutMs} ms; ${last()}`)), timeoutMs);
      const onExit = () => reject(new Error(`process exited (${this.child.exitCode}) before the log line; ${last()}`));
      this.child.once('exit', onExit);
      this.#waiters.push({ match, resolve: (l) => { clearTimeout(timer); this.child.off('exit', onExit); resolve(l); } });
    });
  }

  msg(text: string, timeoutMs?: number): Promise<LogLine> {
    return this.waitFor((l) => l.msg === text, timeoutMs);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Signal the process and resolve with its exit code (null when killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.alive) return this.child.exitCode;
    const exited = once(this.child, 'exit') as Promise<[number | null]>;
    this.child.kill(signal);
    const [code] = await exited;
    return code;
  }
}

/** `lineside ARGS...` */
export class AgentProcess extends JsonLogProcess {
  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    super([BIN, ...args], env);
  }
}
