// The ingest's own small HTTP server: /metrics (Prometheus) and /readyz (503 with the reasons
// while the broker or the database is unreachable, or a seq gap stayed unexplained too long).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  problems: string[];
  [key: string]: unknown;
}

export function startHttp(host: string, port: number, registry: Registry, readiness: () => Readiness): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else if (path === '/readyz') {
      const r = readiness();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(r)}\n`);
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
    } else res.writeHead(404).end();
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
