// A lean Modbus simulator: every unit is a SimMachine whose state is written into its registers
// on each request, answered in the same tick (modbus-serial's ServerTCP defers every answer by a
// timer tick; see bench/modbus-server.ts for what that costs). Serves Modbus TCP, RTU framing over
// TCP (a serial gateway), or RTU on a serial device such as one end of a socat pty pair.
// Faults can be injected for tests: silent units, exception answers, damaged CRCs.
import { openSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ReadStream, WriteStream } from 'node:tty';
import { encodeNumber, type ByteOrder } from '../modbus/codec.ts';
import { SimMachine, type SimSettings, type SimSnapshot } from './model.ts';
import { encodeResponse, splitFrames, type Frame, type Framing } from './modbus/frames.ts';
import { exception, RegisterBank } from './modbus/registers.ts';

/** Where the simulator keeps each value; printed by `lineside simulate` and documented in docs/MODBUS.md. */
export const MODBUS_SIM_MAP = [
  { area: 'coil', address: 0, type: 'bool', name: 'running', note: 'also discrete input 0' },
  { area: 'coil', address: 1, type: 'bool', name: 'faulted', note: 'fault code ≠ 0; also discrete input 1' },
  { area: 'holding', address: 0, type: 'uint32', name: 'partCount', note: '2 registers' },
  { area: 'holding', address: 2, type: 'uint32', name: 'rejectCount', note: '2 registers' },
  { area: 'holding', address: 4, type: 'uint16', name: 'faultCode', note: '0 = no fault' },
  { area: 'holding', address: 5, type: 'uint16', name: 'mode', note: '0 stopped, 1 running, 2 changeover, 3 fault' },
  { area: 'holding', address: 6, type: 'float32', name: 'speed', note: 'parts per minute, 2 registers' },
  { area: 'holding', address: 8, type: 'uint16', name: 'status', note: 'bit 0 running, bit 1 faulted, bit 2 changeover' },
] as const;

export interface ModbusSimOptions {
  /** `tcp` (MBAP), `rtu-over-tcp` (RTU frames on a TCP socket) or `rtu` (RTU on `serialPath`). */
  transport?: 'tcp' | 'rtu-over-tcp' | 'rtu';
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Serial device for transport rtu (e.g. one end of a socat pty pair). */
  serialPath?: string;
  units?: number[];
  /** Word/byte order of the 32-bit values in the map. */
  byteOrder?: ByteOrder;
  seed?: number;
  /** Machine time runs this many times faster than wall time. */
  speed?: number;
  machine?: Partial<SimSettings>;
  now?: () => number;
}

export interface ModbusSimulator {
  readonly transport: 'tcp' | 'rtu-over-tcp' | 'rtu';
  readonly host: string;
  readonly port: number;
  readonly units: readonly number[];
  /** Requests answered (or deliberately left unanswered) so far. */
  readonly stats: { requests: number; unanswered: number; badCrc: number };
  bank(unit: number): RegisterBank;
  machine(unit: number): SimMachine;
  /** A silent unit never answers (a dead device on the bus). */
  setSilent(unit: number, silent: boolean): void;
  /** Answer every request of this unit with an exception code (undefined: answer normally). */
  setException(unit: number, code: number | undefined): void;
  /** Damage the CRC of the next n RTU responses. */
  corruptNext(n: number): void;
  /** Keep the machine block as it is (tests write their own values). */
  freeze(frozen: boolean): void;
  stop(): Promise<void>;
}

const DEFAULT_MACHINE: SimSettings = { seed: 1, cycleTime: 1000, rejectRate: 0.03, faultsPerHour: 2, meanFaultDuration: 60_000, changeoversPerHour: 0.5, microStopsPerHour: 6, counterWidth: 32 };

export function writeSnapshot(bank: RegisterBank, s: SimSnapshot, order: ByteOrder): void {
  const faulted = s.faultCode !== 0;
  bank.coils[0] = bank.discrete[0] = s.running ? 1 : 0;
  bank.coils[1] = bank.discrete[1] = faulted ? 1 : 0;
  const words = [
    ...encodeNumber(s.partCount, 'uint32', order),
    ...encodeNumber(s.rejectCount, 'uint32', order),
    s.faultCode & 0xffff,
    s.mode,
    ...encodeNumber(s.speed, 'float32', order),
    (s.running ? 1 : 0) | (faulted ? 2 : 0) | (s.mode === 2 ? 4 : 0),
  ];
  bank.holding.set(words, 0);
  bank.input.set(words, 0);
}

export async function startModbusSimulator(opts: ModbusSimOptions = {}): Promise<ModbusSimulator> {
  const transport = opts.transport ?? 'tcp';
  const framing: Framing = transport === 'tcp' ? 'tcp' : 'rtu';
  const now = opts.now ?? Date.now;
  const order = opts.byteOrder ?? 'ABCD';
  const speed = opts.speed ?? 1;
  const origin = now();
  const units = new Map<number, { bank: RegisterBank; machine: SimMachine; silent: boolean; exception: number | undefined }>();
  for (const unit of opts.units ?? [1]) {
    const settings = { ...DEFAULT_MACHINE, ...opts.machine, seed: (opts.seed ?? DEFAULT_MACHINE.seed) + unit };
    units.set(unit, { bank: new RegisterBank(), machine: new SimMachine(settings, origin), silent: false, exception: undefined });
  }
  const stats = { requests: 0, unanswered: 0, badCrc: 0 };
  let corrupt = 0;
  let frozen = false;

  const answer = (frame: Frame): Buffer | undefined => {
    stats.requests++;
    const u = units.get(frame.unit);
    // Unknown and silent units stay quiet, as on a serial bus (a TCP gateway would say 0x0B).
    if (!u || u.silent) {
      stats.unanswered++;
      return undefined;
    }
    if (u.exception !== undefined) return encodeResponse(framing, frame, exception(frame.pdu[0]!, u.exception));
    if (!frozen) writeSnapshot(u.bank, u.machine.advance(origin + (now() - origin) * speed), order);
    const damage = framing === 'rtu' && corrupt > 0;
    if (damage) corrupt--;
    return encodeResponse(framing, frame, u.bank.handle(frame.pdu), damage);
  };

  const serve = (input: NodeJS.EventEmitter, write: (b: Buffer) => void): void => {
    let buf: Buffer = Buffer.alloc(0);
    input.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const { frames, rest, badCrc } = splitFrames(framing, buf);
      stats.badCrc += badCrc;
      buf = Buffer.from(rest);
      for (const frame of frames) {
        const out = answer(frame);
        if (out) write(out);
      }
    });
  };

  const handle: Omit<ModbusSimulator, 'host' | 'port' | 'stop'> = {
    transport,
    units: [...units.keys()],
    stats,
    bank: (unit) => unitOf(unit).bank,
    machine: (unit) => unitOf(unit).machine,
    setSilent: (unit, silent) => void (unitOf(unit).silent = silent),
    setException: (unit, code) => void (unitOf(unit).exception = code),
    corruptNext: (n) => void (corrupt = n),
    freeze: (f) => void (frozen = f),
  };
  function unitOf(unit: number) {
    const u = units.get(unit);
    if (!u) throw new Error(`the simulator has no unit ${unit}`);
    return u;
  }

  if (transport === 'rtu') {
    if (!opts.serialPath) throw new Error('transport rtu needs serialPath');
    // A pty (or a serial device set up by stty) read and written as a raw terminal stream.
    const fd = openSync(opts.serialPath, 'r+');
    const input = new ReadStream(fd);
    input.setRawMode(true);
    const output = new WriteStream(fd);
    serve(input, (b) => output.write(b));
    return {
      ...handle,
      host: opts.serialPath,
      port: 0,
      async stop() {
        input.destroy();
        output.destroy();
      },
    };
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    serve(socket, (b) => socket.write(b));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    ...handle,
    host,
    port,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
