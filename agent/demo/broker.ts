// The demo's MQTT broker: aedes in-process on a free loopback port, so the demo needs no
// mosquitto. It stands in for the plant broker; `onPublish` lets the view see exactly what
// a subscriber on `lineside/#` sees.
import { Aedes, type AedesPublishPacket } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';

export interface DemoBroker {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Called for every message published by a client (not the broker's own $SYS messages). */
  onPublish(listener: (topic: string, payload: Buffer) => void): void;
  stop(): Promise<void>;
}

export async function startDemoBroker(host = '127.0.0.1', port = 0): Promise<DemoBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as { port: number }).port;
  return {
    host,
    port: bound,
    url: `mqtt://${host}:${bound}`,
    onPublish(listener) {
      aedes.on('publish', (packet: AedesPublishPacket, client: unknown) => {
        if (client && !packet.topic.startsWith('$SYS/')) listener(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
      });
    },
    async stop() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
