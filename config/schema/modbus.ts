// Modbus connection and register tags of one machine.
import { z } from 'zod';
import { duration, int, num, text, topicLevel } from './units.ts';

export const MODBUS_AREAS = ['holding', 'input', 'coil', 'discrete'] as const;
export const MODBUS_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64', 'string'] as const;
/** Byte order of a multi-register value, named for 32 bits; 64-bit values extend the same word/byte swap. */
export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;

const byteOrder = z.enum(BYTE_ORDERS, { error: `expected one of ${BYTE_ORDERS.join(' | ')}` });

const serialSchema = z.strictObject({
  path: text('a serial device path like /dev/ttyUSB0').describe('Serial device.'),
  baudRate: int(300, 921_600).prefault(9600).describe('Baud rate.'),
  parity: z.enum(['none', 'even', 'odd'], { error: 'expected none | even | odd' }).prefault('none').describe('Parity.'),
  dataBits: z.union([z.literal(7), z.literal(8)], { error: 'expected 7 or 8' }).prefault(8).describe('Data bits.'),
  stopBits: z.union([z.literal(1), z.literal(2)], { error: 'expected 1 or 2' }).prefault(1).describe('Stop bits.'),
});

export const modbusConnectionSchema = z
  .strictObject({
    transport: z.enum(['tcp', 'rtu', 'rtu-over-tcp'], { error: 'expected tcp | rtu | rtu-over-tcp' }).prefault('tcp').describe('`tcp` (Modbus TCP), `rtu` (serial line) or `rtu-over-tcp` (serial gateway passing RTU frames).'),
    host: text('a host name or address').optional().describe('Device or gateway host (tcp, rtu-over-tcp).'),
    port: int(1, 65535).prefault(502).describe('TCP port (tcp, rtu-over-tcp).'),
    serial: serialSchema.optional().describe('Serial line settings (rtu).'),
    unitId: int(0, 255).prefault(1).describe('Modbus unit (slave) id: 1..247 on a bus; gateways may use 0 or 255.'),
    timeout: duration({ min: '10ms', max: '60s' }).prefault('1s').describe('Response timeout of one request.'),
    byteOrder: byteOrder.prefault('ABCD').describe('Default byte/word order of 32/64-bit values (ABCD = big-endian, CDAB = word-swapped, BADC = byte-swapped, DCBA = little-endian). Find it with `lineside modbus read`.'),
    maxGap: int(0, 124).prefault(16).describe('Registers (or bits) to read through between two tags to save a request.'),
    maxRegisters: int(1, 125).prefault(125).describe('Most registers one read asks for (some devices take fewer).'),
    maxBits: int(1, 2000).prefault(2000).describe('Most coils/discrete inputs one read asks for.'),
    pipelineDepth: int(1, 16).prefault(1).describe('Modbus TCP requests in flight on one connection (transaction ids); serial is always 1.'),
    interFrameDelay: duration({ max: '1s' }).prefault('0ms').describe('Quiet time between frames on a serial bus, for slow devices.'),
  })
  .superRefine((c, ctx) => {
    if (c.transport === 'rtu' && !c.serial) ctx.addIssue({ code: 'custom', path: ['serial'], message: 'required for transport rtu: expected serial settings with a path' });
    if (c.transport !== 'rtu' && !c.host) ctx.addIssue({ code: 'custom', path: ['host'], message: `required for transport ${c.transport}: expected a host name or address` });
  })
  .describe('How to reach the device. One device (host, port and unit id; or serial port and unit id) belongs to one machine.');

export const modbusTagSchema = z
  .strictObject({
    name: topicLevel('a tag name').describe('Tag name used by signals and in telemetry.'),
    area: z.enum(MODBUS_AREAS, { error: `expected one of ${MODBUS_AREAS.join(' | ')}` }).prefault('holding').describe('Register area.'),
    address: int(0, 65535).describe('Zero-based address (register 40001 is holding 0).'),
    type: z.enum(MODBUS_TYPES, { error: `expected one of ${MODBUS_TYPES.join(' | ')}` }).prefault('uint16').describe('Data type; coils and discrete inputs are always bool.'),
    bit: int(0, 15).optional().describe('Single bit (0 = least significant) inside a holding or input register; makes the tag a bool.'),
    length: int(1, 125).optional().describe('Registers of a string (2 characters each).'),
    byteOrder: byteOrder.optional().describe('Overrides the connection byteOrder for this tag.'),
    scale: num().prefault(1).describe('Engineering value = raw × scale + offset.'),
    offset: num().prefault(0).describe('Engineering value = raw × scale + offset.'),
  })
  .superRefine((t, ctx) => {
    if (t.type === 'string' && t.length === undefined) ctx.addIssue({ code: 'custom', path: ['length'], message: 'required for type string: expected the number of registers 1..125' });
    if ((t.area === 'coil' || t.area === 'discrete') && t.type !== 'bool' && t.type !== 'uint16') ctx.addIssue({ code: 'custom', path: ['type'], message: `expected bool for area ${t.area}, got "${t.type}"` });
    if (t.bit !== undefined && (t.area === 'coil' || t.area === 'discrete')) ctx.addIssue({ code: 'custom', path: ['bit'], message: `a bit applies to a register; area ${t.area} is already single bits` });
    if (t.bit !== undefined && t.type !== 'bool' && t.type !== 'uint16') ctx.addIssue({ code: 'custom', path: ['type'], message: `expected bool (or no type) with bit, got "${t.type}"` });
    const width = t.area === 'coil' || t.area === 'discrete' || t.bit !== undefined ? 1 : (REGISTERS[t.type] ?? t.length ?? 1);
    if (t.address + width > 65536) ctx.addIssue({ code: 'custom', path: ['address'], message: `a ${t.type} at ${t.address} runs past the last address 65535` });
  });

const REGISTERS: Partial<Record<(typeof MODBUS_TYPES)[number], number>> = { bool: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, int64: 4, uint64: 4, float64: 4 };

export type ModbusConnectionConfig = z.output<typeof modbusConnectionSchema>;
export type ModbusTagConfig = z.output<typeof modbusTagSchema>;
