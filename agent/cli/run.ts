import type { Command } from 'commander';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../log.ts';
import { composeAgent } from '../app/compose.ts';
import { checkDataDirOrExit, loadConfigOrExit } from './config-arg.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(VERB_HELP.run)
    .requiredOption('-c, --config <file>', 'configuration file')
    .action(async (opts: { config: string }, cmd: Command) => {
      const loaded = loadConfigOrExit(opts.config);
      checkDataDirOrExit(opts.config, loaded.config.agent.dataDir);
      const level = (cmd.optsWithGlobals().logLevel as LevelWithSilent | undefined) ?? loaded.config.agent.logLevel;
      const log = createLogger({ level });
      const agent = await composeAgent(loaded, log);
      const timeout = loaded.config.agent.shutdownTimeout;
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          log.warn({ signal }, 'second signal: exiting now');
          process.exit(EXIT.stopTimeout);
        }
        stopping = true;
        log.info({ signal, timeoutMs: timeout }, 'stopping');
        const killer = setTimeout(() => {
          log.error({ timeoutMs: timeout }, 'graceful stop timed out; exiting');
          process.exit(EXIT.stopTimeout);
        }, timeout + 500);
        killer.unref();
        void agent.runtime.stop(timeout).then(() => {
          log.info('stopped');
          log.flush();
          process.exitCode = EXIT.ok;
          clearTimeout(killer);
          // Handles of third-party clients may linger; the agent's own work is done.
          setImmediate(() => process.exit(EXIT.ok));
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        await agent.runtime.start();
      } catch (err) {
        log.fatal({ err }, 'agent failed to start');
        log.flush();
        process.exit(EXIT.startFailed);
      }
      log.info({ agent: loaded.config.agent.id, machines: loaded.config.machines.length, configHash: loaded.hash, config: loaded.file }, 'lineside running');
    });
}
