// What answers on an endpoint's port, by the cheapest means: a bare TCP connect (is anything
// listening?) to notice a restarted server at once, and a single OPC UA Hello (is it an OPC UA
// server at all?) to explain a connect that failed before any OPC UA was spoken.
import { connect, type Socket } from 'node:net';

/** Host and port of an opc.tcp:// URL (4840 when it names none); never throws, connecting reports a bad one. */
export function hostPort(endpoint: string): { host: string; port: number } {
  const m = /^opc\.tcp:\/\/(\[[^\]]*\]|[^:/]*)(?::(\d+))?/i.exec(endpoint);
  return { host: (m?.[1] ?? '').replace(/^\[|\]$/g, ''), port: m?.[2] ? Number(m[2]) : 4840 };
}

function open(endpoint: string): Socket | Error {
  const { host, port } = hostPort(endpoint);
  try {
    return connect({ host, port });
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Whether the endpoint's port accepts a TCP connection within `timeoutMs`; closed again at once. */
export function acceptsConnections(endpoint: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const socket = open(endpoint);
    if (socket instanceof Error) return resolve(false);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export type HelloAnswer =
  | { kind: 'opcua' }
  /** It answered, but not with an OPC UA Acknowledge or Error; `sample` is the start of what it sent. */
  | { kind: 'other'; sample: string }
  /** It accepted the connection and closed it without a word. */
  | { kind: 'closed' }
  /** It accepted the connection and said nothing within the timeout. */
  | { kind: 'silent' }
  | { kind: 'unreachable'; error: string };

/** An OPC UA Hello (Part 6, 7.1.2.3) for `endpoint`. */
export function helloMessage(endpoint: string): Buffer {
  const url = Buffer.from(endpoint, 'utf8');
  const msg = Buffer.alloc(32 + url.length);
  msg.write('HELF', 0, 'ascii');
  msg.writeUInt32LE(msg.length, 4);
  msg.writeUInt32LE(0, 8); // protocol version
  msg.writeUInt32LE(65_535, 12); // receive buffer size
  msg.writeUInt32LE(65_535, 16); // send buffer size
  msg.writeUInt32LE(0, 20); // max message size: no limit
  msg.writeUInt32LE(0, 24); // max chunk count: no limit
  msg.writeInt32LE(url.length, 28);
  url.copy(msg, 32);
  return msg;
}

/** The first line of what it sent, as text: enough to recognise a web server or a Modbus device. */
function printable(b: Buffer): string {
  const line = b.subarray(0, 200).toString('latin1').split(/\r?\n/)[0]!;
  return line.replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, 60);
}

/** Sends one Hello and tells what came back. */
export function sayHello(endpoint: string, timeoutMs: number): Promise<HelloAnswer> {
  return new Promise((resolve) => {
    const socket = open(endpoint);
    if (socket instanceof Error) return resolve({ kind: 'unreachable', error: socket.message });
    let got = Buffer.alloc(0);
    const done = (a: HelloAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(a);
    };
    const timer = setTimeout(() => done(got.length ? { kind: 'other', sample: printable(got) } : { kind: 'silent' }), timeoutMs);
    socket.once('connect', () => socket.write(helloMessage(endpoint)));
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length < 3) return;
      const type = got.subarray(0, 3).toString('latin1');
      done(type === 'ACK' || type === 'ERR' ? { kind: 'opcua' } : { kind: 'other', sample: printable(got) });
    });
    socket.once('error', (err) => done(socket.bytesWritten ? (got.length ? { kind: 'other', sample: printable(got) } : { kind: 'closed' }) : { kind: 'unreachable', error: err.message }));
    socket.once('close', () => done(got.length ? { kind: 'other', sample: printable(got) } : { kind: 'closed' }));
  });
}
