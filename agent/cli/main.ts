// The `lineside` command. Each verb lives in its own module and registers itself here.
import { Command, CommanderError, Option } from 'commander';
import { LOG_LEVELS } from '../../config/schema/agent.ts';
import { EXIT } from './exit-codes.ts';
import { registerDemo } from './demo.ts';
import { registerOpcua } from './opcua.ts';
import { registerModbus } from './modbus.ts';
import { registerReplay } from './replay.ts';
import { registerRun } from './run.ts';
import { registerSchema } from './schema.ts';
import { registerSimulate } from './simulate.ts';
import { registerValidate } from './validate.ts';
import { VERSION } from '../version.ts';

const program = new Command('lineside')
  .description('Shop-floor edge gateway: machines in, states, downtime and OEE out over MQTT.')
  .version(VERSION)
  .addOption(new Option('--log-level <level>', 'override agent.logLevel').choices(LOG_LEVELS))
  .showHelpAfterError()
  .exitOverride();

registerRun(program);
registerValidate(program);
registerSchema(program);
registerOpcua(program);
registerSimulate(program);
registerModbus(program);
registerReplay(program);
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  throw err;
}
