// A TCP proxy in front of the broker: `cut()` drops every connection at once (the edge node's
// link dies without a DISCONNECT, so the broker sends its Will), `down()` also refuses new ones.
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class CutProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #up = true;
  port = 0;

  private constructor(target: number) {
    this.#server = createServer((client) => {
      if (!this.#up) return client.destroy();
      const upstream = createConnection({ host: '127.0.0.1', port: target });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async start(target: number): Promise<CutProxy> {
    const p = new CutProxy(target);
    p.#server.listen(0, '127.0.0.1');
    await once(p.#server, 'listening');
    p.port = (p.#server.address() as { port: number }).port;
    return p;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  cut(): void {
    for (const s of this.#sockets) s.destroy();
  }

  down(): void {
    this.#up = false;
    this.cut();
  }

  up(): void {
    this.#up = true;
  }

  async close(): Promise<void> {
    this.down();
    this.#server.close();
    await once(this.#server, 'close');
  }
}
