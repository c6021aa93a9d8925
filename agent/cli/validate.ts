import type { Command } from 'commander';
import { checkDataDirOrExit, loadConfigOrExit } from './config-arg.ts';
import { VERB_HELP } from './verbs.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(VERB_HELP.validate)
    .requiredOption('-c, --config <file>', 'configuration file')
    .option('--no-data-dir-check', 'check the file only, not whether agent.dataDir is usable on this machine (exit 3 when not); e.g. in CI')
    .action((opts: { config: string; dataDirCheck: boolean }) => {
      const { config, hash } = loadConfigOrExit(opts.config);
      if (opts.dataDirCheck) checkDataDirOrExit(opts.config, config.agent.dataDir);
      const n = config.machines.length;
      process.stdout.write(`${opts.config}: valid (${n} machine${n === 1 ? '' : 's'}, config hash ${hash})\n`);
    });
}
