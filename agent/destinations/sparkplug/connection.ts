// One MQTT connection of the edge node, from CONNECT to close: resolves when it is over (whether it
// ever connected, and the last error). Reconnecting, with a new bdSeq each time, is the caller's.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface ConnectionHandlers {
  connected(client: MqttClient): void;
  message(client: MqttClient, topic: string, payload: Buffer, retained: boolean): void;
  closed(client: MqttClient): void;
  error(err: Error): void;
}

export function connectOnce(url: string, opts: IClientOptions, signal: AbortSignal, h: ConnectionHandlers): Promise<{ connected: boolean; error?: Error }> {
  return new Promise((resolve) => {
    let connected = false;
    let error: Error | undefined;
    const client = mqtt.connect(url, opts);
    // end() waits for in-flight acknowledgements a stalled broker never sends; destroying the socket ends every state.
    const onAbort = () => {
      client.end(true);
      client.stream?.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    client.on('error', (err) => {
      error = err;
      h.error(err);
    });
    client.on('connect', () => {
      connected = true;
      h.connected(client);
    });
    client.on('message', (topic, payload, packet) => h.message(client, topic, payload, packet.retain));
    client.on('close', () => {
      signal.removeEventListener('abort', onAbort);
      h.closed(client);
      client.end(true);
      client.removeAllListeners();
      // A late error from a dead socket must not become an unhandled 'error' event.
      client.on('error', () => {});
      resolve({ connected, ...(error ? { error } : {}) });
    });
  });
}
