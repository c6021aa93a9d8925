// `lineside modbus read | scan`: commissioning probes. `read` prints raw registers and their
// decoding as every type in every byte/word order, so the engineer can match the HMI value and
// copy the right `type` and `byteOrder` into the configuration. `scan` lists answering unit ids.
import type { Command } from 'commander';
import { Option } from 'commander';
import { allDecodings, WIDE_TYPES } from '../../drivers/modbus/decodings.ts';
import { acquireLink, ModbusExceptionError, releaseLink, type LinkSettings, type ModbusLink } from '../../drivers/modbus/link.ts';
import type { Area } from '../../drivers/modbus/planner.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

interface LinkOptions {
  host?: string;
  port: string;
  transport: 'tcp' | 'rtu-over-tcp';
  serial?: string;
  baud: string;
  parity: 'none' | 'even' | 'odd';
  dataBits: string;
  stopBits: string;
  timeout: string;
}

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function int(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) fail(EXIT.usage, `${what}: expected an integer ${min}..${max}, got "${text}"`);
  return n;
}

/** Milliseconds from "300ms", "1s" or a bare number of ms. */
function ms(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(text.trim());
  if (!m) fail(EXIT.usage, `--timeout: expected a duration like 500ms or 2s, got "${text}"`);
  return Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
}

function linkSettings(o: LinkOptions, pipelineDepth = 1): LinkSettings {
  if (!o.host === !o.serial) fail(EXIT.usage, 'give either --host (Modbus TCP / RTU over TCP) or --serial (RTU)');
  const common = { pipelineDepth, interFrameDelay: 0 };
  if (o.serial) {
    const dataBits = int(o.dataBits, '--data-bits', 7, 8) as 7 | 8;
    const stopBits = int(o.stopBits, '--stop-bits', 1, 2) as 1 | 2;
    return { ...common, transport: 'rtu', port: 0, serial: { path: o.serial, baudRate: int(o.baud, '--baud', 300, 921_600), parity: o.parity, dataBits, stopBits } };
  }
  return { ...common, transport: o.transport, host: o.host!, port: int(o.port, '--port', 1, 65535) };
}

function withLinkOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'device or gateway host')
    .option('--port <port>', 'TCP port', '502')
    .addOption(new Option('--transport <transport>', 'framing on the TCP socket').choices(['tcp', 'rtu-over-tcp']).default('tcp'))
    .option('--serial <path>', 'serial device for Modbus RTU (instead of --host)')
    .option('--baud <rate>', 'serial baud rate', '9600')
    .addOption(new Option('--parity <parity>', 'serial parity').choices(['none', 'even', 'odd']).default('none'))
    .option('--data-bits <n>', 'serial data bits', '8')
    .option('--stop-bits <n>', 'serial stop bits', '1')
    .option('--timeout <duration>', 'response timeout', '1s');
}

async function openLink(settings: LinkSettings, timeoutMs: number): Promise<ModbusLink> {
  const link = acquireLink(settings);
  try {
    await link.open(Math.max(timeoutMs, 1000));
  } catch (err) {
    await releaseLink(link);
    fail(EXIT.unreachable, `cannot open the link: ${err instanceof Error ? err.message : String(err)}`);
  }
  return link;
}

function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isNaN(v)) return 'NaN';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
}

export function formatRead(unit: number, area: Area, address: number, data: number[] | boolean[]): string {
  const lines: string[] = [];
  if (area === 'coil' || area === 'discrete') {
    lines.push(`unit ${unit}, ${area}s ${address}..${address + data.length - 1}`);
    data.forEach((b, i) => lines.push(`  ${String(address + i).padEnd(6)} ${b ? 1 : 0}`));
    return lines.join('\n');
  }
  const regs = data as number[];
  lines.push(`unit ${unit}, ${area} registers ${address}..${address + regs.length - 1}`, '', `  ${'addr'.padEnd(6)} ${'hex'.padEnd(7)} ${'uint16'.padEnd(7)} ${'int16'.padEnd(7)} chars`);
  regs.forEach((r, i) => {
    const chars = [r >> 8, r & 0xff].map((c) => (c >= 32 && c < 127 ? String.fromCharCode(c) : '.')).join('');
    lines.push(`  ${String(address + i).padEnd(6)} 0x${r.toString(16).toUpperCase().padStart(4, '0')} ${String(r).padEnd(7)} ${String(r >= 0x8000 ? r - 0x10000 : r).padEnd(7)} ${chars}`);
  });
  const decodings = allDecodings(address, regs);
  lines.push('', '  Decodings (start register, type, byte order: ABCD = big-endian, CDAB = word swap, BADC = byte swap, DCBA = little-endian):');
  for (let start = address; start < address + regs.length; start++) {
    for (const type of WIDE_TYPES) {
      const row = decodings.filter((d) => d.start === start && d.type === type);
      if (!row.length) continue;
      lines.push(`  ${String(start).padEnd(6)} ${type.padEnd(8)} ${row.map((d) => `${d.order} ${formatValue(d.value)}`.padEnd(30)).join(' ')}`.trimEnd());
    }
  }
  lines.push('', "Pick the row that matches the HMI, then set the tag's type and byteOrder (or the connection's byteOrder) to it.");
  return lines.join('\n');
}

export function registerModbus(program: Command): void {
  const modbus = program.command('modbus').description(VERB_HELP.modbus);

  withLinkOptions(modbus.command('read'))
    .description('read registers and print them decoded as every type in every byte order')
    .option('--unit <id>', 'unit (slave) id', '1')
    .option('--holding <address>', 'read holding registers from this zero-based address')
    .option('--input <address>', 'read input registers from this address')
    .option('--coil <address>', 'read coils from this address')
    .option('--discrete <address>', 'read discrete inputs from this address')
    .option('--count <n>', 'registers (or bits) to read', '4')
    .option('--json', 'print JSON instead of tables')
    .action(async (o: LinkOptions & { unit: string; holding?: string; input?: string; coil?: string; discrete?: string; count: string; json?: boolean }) => {
      const areas = (['holding', 'input', 'coil', 'discrete'] as const).filter((a) => o[a] !== undefined);
      if (areas.length !== 1) fail(EXIT.usage, 'give exactly one of --holding, --input, --coil, --discrete with a start address');
      const area = areas[0]!;
      const address = int(o[area]!, `--${area}`, 0, 65535);
      const bits = area === 'coil' || area === 'discrete';
      const count = int(o.count, '--count', 1, bits ? 2000 : 125);
      const unit = int(o.unit, '--unit', 0, 255);
      const timeout = ms(o.timeout);
      const link = await openLink(linkSettings(o), timeout);
      try {
        const data = await link.read(unit, area, address, count, timeout);
        if (o.json) {
          const decodings = bits ? [] : allDecodings(address, data as number[]);
          process.stdout.write(`${JSON.stringify({ unit, area, address, data, decodings })}\n`);
        } else process.stdout.write(`${formatRead(unit, area, address, data)}\n`);
      } catch (err) {
        fail(EXIT.unreachable, `unit ${unit}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await releaseLink(link);
      }
    });

  withLinkOptions(modbus.command('scan'))
    .description('list the unit ids that answer (with data or a Modbus exception)')
    .option('--from <id>', 'first unit id', '1')
    .option('--to <id>', 'last unit id', '247')
    .option('--register <address>', 'holding register to ask each unit for', '0')
    .option('--parallel <n>', 'requests in flight at once (Modbus TCP only)', '1')
    .action(async (o: LinkOptions & { from: string; to: string; register: string; parallel: string }) => {
      const from = int(o.from, '--from', 0, 255);
      const to = int(o.to, '--to', from, 255);
      const register = int(o.register, '--register', 0, 65535);
      const timeout = ms(o.timeout);
      const link = await openLink(linkSettings(o, int(o.parallel, '--parallel', 1, 16)), timeout);
      const found: number[] = [];
      try {
        const units = Array.from({ length: to - from + 1 }, (_, i) => from + i);
        await Promise.all(
          units.map(async (unit) => {
            try {
              await link.read(unit, 'holding', register, 1, timeout);
              found.push(unit);
              process.stdout.write(`unit ${unit}: answers\n`);
            } catch (err) {
              // An exception answer still proves the unit is there, unless a gateway says the target failed.
              if (err instanceof ModbusExceptionError && err.code !== 0x0a && err.code !== 0x0b) {
                found.push(unit);
                process.stdout.write(`unit ${unit}: answers (exception ${err.code})\n`);
              }
            }
          }),
        );
      } finally {
        await releaseLink(link);
      }
      found.sort((a, b) => a - b);
      process.stdout.write(`${found.length} unit(s) answering: ${found.join(', ') || 'none'}\n`);
      if (!found.length) process.exitCode = EXIT.unreachable;
    });
}
