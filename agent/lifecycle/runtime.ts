// Starts components in order and stops them in reverse, each bounded in time. A component
// that fails to start stops the ones already started: the agent never runs half-wired.
import type { Logger } from '../log.ts';
import { withTimeout, type Component } from './component.ts';

export class Runtime {
  #components: Component[];
  #started: Component[] = [];
  #log: Logger;
  #stopping: Promise<void> | undefined;

  #stopTimeoutMs: number;

  /** `stopTimeoutMs` bounds the unwinding after a failed start (agent.shutdownTimeout). */
  constructor(components: Component[], log: Logger, stopTimeoutMs = 10_000) {
    this.#components = components;
    this.#log = log;
    this.#stopTimeoutMs = stopTimeoutMs;
  }

  async start(): Promise<void> {
    for (const c of this.#components) {
      try {
        await c.start();
        this.#started.push(c);
        this.#log.debug({ component: c.name }, 'started');
      } catch (err) {
        this.#log.error({ component: c.name, err }, 'component failed to start; stopping the others');
        await this.stop(this.#stopTimeoutMs);
        throw err;
      }
    }
  }

  /** Stop everything started, last first. Each component gets a share of `timeoutMs`. */
  stop(timeoutMs: number): Promise<void> {
    this.#stopping ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      for (const c of [...this.#started].reverse()) {
        const left = Math.max(100, deadline - Date.now());
        try {
          await withTimeout(c.stop(), left, `stopping ${c.name}`);
          this.#log.debug({ component: c.name }, 'stopped');
        } catch (err) {
          this.#log.error({ component: c.name, err }, 'component did not stop cleanly');
        }
      }
      this.#started = [];
    })();
    return this.#stopping;
  }
}
