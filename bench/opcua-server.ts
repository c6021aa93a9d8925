// The bench's OPC UA server, in its own process so it does not share CPU accounting with the
// clients measured. Prints "ready <port>" once listening.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpcuaSimulator } from '../drivers/sim/opcua-server.ts';

const items = Number(process.argv[2] ?? 10_000);
const tickMs = Number(process.argv[3] ?? 500);
const sim = await startOpcuaSimulator({ pkiDir: join(tmpdir(), 'lineside-bench-opcua-pki'), extraVariables: items, tickMs });
process.stdout.write(`ready ${sim.port}\n`);
process.on('SIGTERM', () => void sim.stop().then(() => process.exit(0)));
