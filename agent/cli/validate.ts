import type { Command } from 'commander';
import { loadConfigOrExit } from './config-arg.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a configuration file; exit 0 when valid, 1 with every problem located on stderr')
    .requiredOption('-c, --config <file>', 'configuration file')
    .action((opts: { config: string }) => {
      const { config, hash } = loadConfigOrExit(opts.config);
      const n = config.machines.length;
      process.stdout.write(`${opts.config}: valid (${n} machine${n === 1 ? '' : 's'}, config hash ${hash})\n`);
    });
}
