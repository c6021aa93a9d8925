// Loading --config for a verb: problems go to stderr, located, and the process exits 1.
import { ConfigError, loadConfig, type LoadedConfig } from '../../config/loader.ts';
import { formatIssue } from '../../config/issues.ts';
import { EXIT } from './exit-codes.ts';

export function loadConfigOrExit(file: string): LoadedConfig {
  try {
    return loadConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    process.stderr.write(`${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in ${file}\n`);
    process.exit(EXIT.invalidConfig);
  }
}
