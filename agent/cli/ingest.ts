// `lineside ingest --config central.yaml`: the central counterpart of the agent. Subscribes to
// the contract's topics with a shared subscription and writes them to PostgreSQL (ingest/).
import type { Command } from 'commander';
import { ingestConfigSchema } from '../../ingest/config.ts';
import { Ingest } from '../../ingest/ingest.ts';
import { ingestLogger } from '../../ingest/log.ts';
import { loadConfigAsOrExit } from './config-arg.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description(VERB_HELP.ingest)
    .requiredOption('-c, --config <file>', 'central configuration (mqtt, postgres, batch, gaps, http); see config/examples/central.example.yaml')
    .action(async (opts: { config: string }) => {
      const { config } = loadConfigAsOrExit(opts.config, ingestConfigSchema, () => {});
      const log = ingestLogger(config.log.level);
      const ingest = new Ingest(config, log);
      try {
        await ingest.start();
      } catch (err) {
        log.fatal({ err: (err as Error).message }, 'ingest could not start');
        log.flush();
        setImmediate(() => process.exit(EXIT.startFailed));
        return;
      }
      log.info({ port: ingest.port }, 'ingest started');
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        void ingest.stop().then(
          () => {
            log.info('stopped');
            log.flush();
            setImmediate(() => process.exit(EXIT.ok));
          },
          (err: unknown) => {
            log.error({ err: (err as Error).message }, 'stop failed');
            log.flush();
            setImmediate(() => process.exit(EXIT.stopTimeout));
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
