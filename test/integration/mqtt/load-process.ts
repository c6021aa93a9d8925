// The load-producing fixture agent as a child process, with its JSON log lines awaitable.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../../fixtures/load-agent.ts', import.meta.url));

export type Line = Record<string, unknown> & { msg?: string };

export class LoadAgent {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';
  #waiters: Array<{ match: (l: Line) => boolean; resolve: (l: Line) => void }> = [];

  constructor(settings: Record<string, unknown>) {
    this.child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, LOAD_AGENT: JSON.stringify(settings) }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        line = { msg: text };
      }
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((w) => (w.match(line) ? (w.resolve(line), false) : true));
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  waitFor(match: (l: Line) => boolean, timeoutMs = 30_000): Promise<Line> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`log line not seen in ${timeoutMs} ms; stderr: ${this.stderr}; last: ${JSON.stringify(this.lines.slice(-5))}`)), timeoutMs);
      const onExit = () => reject(new Error(`agent exited (${this.child.exitCode}) before the log line; stderr: ${this.stderr}; last: ${JSON.stringify(this.lines.slice(-5))}`));
      this.child.once('exit', onExit);
      this.#waiters.push({ match, resolve: (l) => { clearTimeout(timer); this.child.off('exit', onExit); resolve(l); } });
    });
  }

  msg(text: string, timeoutMs?: number): Promise<Line> {
    return this.waitFor((l) => l.msg === text, timeoutMs);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    await exited;
  }
}
