// Loading --config for a verb: problems go to stderr, located, and the process exits 1.
import type YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError, loadConfig, loadConfigAs, loadConfigSections, type LoadedConfig, type LoadedSections, type Section } from '../../config/loader.ts';
import { dataDirProblem } from '../../config/data-dir.ts';
import { formatIssue } from '../../config/issues.ts';
import { EXIT } from './exit-codes.ts';

export function loadConfigOrExit(file: string): LoadedConfig {
  return orExit(file, () => loadConfig(file));
}

/** For verbs that use only some sections: the rest of the file (and its `${VAR}`s) is left alone. */
export function loadConfigSectionsOrExit<K extends Section>(file: string, sections: readonly K[]): LoadedSections<K> {
  return orExit(file, () => loadConfigSections(file, sections));
}

/** For verbs with a schema of their own (see loadConfigAs). */
export function loadConfigAsOrExit<S extends z.ZodType>(file: string, schema: S, unread: (doc: YAML.Document) => void): { config: z.output<S>; file: string } {
  return orExit(file, () => loadConfigAs(file, schema, unread));
}

/**
 * One line and exit 3 (could not start) when agent.dataDir cannot hold the agent's files. Not
 * exit 1: the file is right, the machine is not, and systemd should retry (a mount may be late).
 */
export function checkDataDirOrExit(file: string, dataDir: string): void {
  const problem = dataDirProblem(dataDir);
  if (!problem) return;
  process.stderr.write(`${file}: agent.dataDir ${dataDir}: ${problem}\n`);
  process.exit(EXIT.startFailed);
}

function orExit<T>(file: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    process.stderr.write(`${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in ${file}\n`);
    process.exit(EXIT.invalidConfig);
  }
}
