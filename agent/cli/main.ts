// The `lineside` command. Each verb lives in its own module, which registers its options and action.
// Those modules pull whole stacks (SQLite, MQTT, zod, the simulators, node-opcua), so only the module
// of the verb on the command line is imported; every other verb is listed by name and description
// alone. `lineside --help` loads commander and nothing else (test/integration/lazy-drivers.test.ts).
import { writeSync } from 'node:fs';
import { inspect } from 'node:util';
import { Command, CommanderError, Help, Option } from 'commander';
import { EXIT } from './exit-codes.ts';
import { exitQuietlyOnEpipe } from './epipe.ts';
import { VERSION } from '../version.ts';
import { VERB_HELP } from './verbs.ts';
import { LOG_LEVELS } from '../../config/log-levels.ts';

/** An unexpected fault is a bug: log it once and exit with a code that systemd restarts. */
function internalError(err: unknown): never {
  try {
    writeSync(2, `lineside: internal error, exiting (${EXIT.internal}): ${inspect(err)}\n`);
  } finally {
    process.exit(EXIT.internal);
  }
}
process.on('uncaughtException', internalError);
process.on('unhandledRejection', internalError);


interface VerbModule {
  /** The commands the module registers, as the top-level help lists them. */
  commands: Array<{ name: string; description: string; options: boolean; hidden?: boolean }>;
  load(): Promise<(program: Command) => void>;
}

// In help order; the lazy-drivers test checks that each module registers exactly these commands.
const VERBS: VerbModule[] = [
  { commands: [{ name: 'run', description: VERB_HELP.run, options: true }], load: async () => (await import('./run.ts')).registerRun },
  { commands: [{ name: 'validate', description: VERB_HELP.validate, options: true }], load: async () => (await import('./validate.ts')).registerValidate },
  {
    commands: [
      { name: 'schema', description: VERB_HELP.schema, options: false },
      { name: 'gen-docs', description: VERB_HELP['gen-docs'], options: true, hidden: true },
    ],
    load: async () => (await import('./schema.ts')).registerSchema,
  },
  { commands: [{ name: 'opcua', description: VERB_HELP.opcua, options: false }], load: async () => (await import('./opcua.ts')).registerOpcua },
  { commands: [{ name: 'simulate', description: VERB_HELP.simulate, options: true }], load: async () => (await import('./simulate.ts')).registerSimulate },
  { commands: [{ name: 'modbus', description: VERB_HELP.modbus, options: false }], load: async () => (await import('./modbus.ts')).registerModbus },
  { commands: [{ name: 'replay', description: VERB_HELP.replay, options: true }], load: async () => (await import('./replay.ts')).registerReplay },
  { commands: [{ name: 'dead-letters', description: VERB_HELP['dead-letters'], options: false }], load: async () => (await import('./dead-letters.ts')).registerDeadLetters },
  { commands: [{ name: 'station', description: VERB_HELP.station, options: false }], load: async () => (await import('./station.ts')).registerStation },
  { commands: [{ name: 'demo', description: VERB_HELP.demo, options: true }], load: async () => (await import('./demo.ts')).registerDemo },
  { commands: [{ name: 'ingest', description: VERB_HELP.ingest, options: true }], load: async () => (await import('./ingest.ts')).registerIngest },
];

/** The verb the arguments name: the first operand, or the one after `help`. */
function verbOf(args: readonly string[]): string | undefined {
  let afterHelp = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--log-level') i++; // the only global option with a separate value
    else if (arg.startsWith('-')) continue;
    else if (arg === 'help' && !afterHelp) afterHelp = true;
    else return arg;
  }
  return undefined;
}

exitQuietlyOnEpipe();

const program = new Command('lineside')
  .description('Shop-floor edge gateway: machines in, states, downtime and OEE out over MQTT.')
  .version(VERSION)
  .addOption(new Option('--log-level <level>', 'override agent.logLevel').choices(LOG_LEVELS))
  .showHelpAfterError()
  .exitOverride();

// Verbs listed but not loaded show "[options]" in the help as their real registration would.
const withOptions = new Set<Command>();
program.configureHelp({ subcommandTerm: (cmd) => (withOptions.has(cmd) ? `${cmd.name()} [options]` : new Help().subcommandTerm(cmd)) });

const wanted = verbOf(process.argv.slice(2));
for (const verb of VERBS) {
  if (verb.commands.some((c) => c.name === wanted)) {
    (await verb.load())(program);
    continue;
  }
  for (const c of verb.commands) {
    const stub = program
      .command(c.name, { hidden: c.hidden === true })
      .description(c.description)
      .action(() => {
        throw new Error(`verb ${c.name} was run without its module (verbOf missed it in ${JSON.stringify(process.argv.slice(2))})`);
      });
    if (c.options) withOptions.add(stub);
  }
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  internalError(err);
}
