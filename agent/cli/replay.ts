// `lineside replay`: run the pipeline over recorded readings (JSON lines or a historian's CSV) on
// a virtual clock and print the events as JSON lines, so a plant can re-compute OEE from an
// export and a configuration can be tried against recorded data. The input is checked whole
// before anything runs; every problem is listed with its line.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { replayConfigSchema, unreadByReplay } from '../../config/schema/replay.ts';
import { parseCsv } from '../replay/csv.ts';
import { parseJsonLines } from '../replay/jsonl.ts';
import { replay } from '../replay/run.ts';
import { readTimestamp } from '../replay/timestamps.ts';
import { loadConfigAsOrExit } from './config-arg.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

const FORMATS = ['jsonl', 'csv'] as const;
const MAX_LISTED = 20;

interface ReplayOpts {
  config: string;
  input: string;
  format?: (typeof FORMATS)[number];
  until?: string;
}

function fail(lines: string[]): never {
  for (const l of lines) process.stderr.write(`${l}\n`);
  process.exit(EXIT.invalidConfig);
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(VERB_HELP.replay)
    .requiredOption('-c, --config <file>', 'configuration: machines (id, idealCycleTime, signals), shifts, oee, reasons; an agent configuration works too')
    .requiredOption('-i, --input <file>', 'recorded readings: JSON lines {ts, machine, tag|signal, value, quality?} | {ts, machine, link} | {ts, machine, cmd, payload}, or CSV with a header timestamp,machine,tag,value[,quality]')
    .addOption(new Option('-f, --format <format>', 'input format (default: csv for a .csv file, else jsonl)').choices(FORMATS))
    .option('-u, --until <time>', 'where the input ends (ISO 8601; without an offset in shifts.timezone): the clock runs on to here, so periods up to then close')
    .action((opts: ReplayOpts) => {
      const { config } = loadConfigAsOrExit(opts.config, replayConfigSchema, unreadByReplay);
      let text: string;
      try {
        text = readFileSync(opts.input, 'utf8');
      } catch (err) {
        fail([`cannot read ${opts.input}: ${(err as Error).message}`]);
      }
      const format = opts.format ?? (extname(opts.input).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
      const input = format === 'csv' ? parseCsv(text, config) : parseJsonLines(text, config);
      const problems = input.problems.map((p) => `${opts.input}: ${p}`);
      let until: number | undefined;
      if (opts.until !== undefined) {
        const stamp = readTimestamp(opts.until, input.calendar, input.lastTs);
        if ('problem' in stamp) problems.push(`--until: ${stamp.problem}`);
        else if (stamp.at < input.lastTs) problems.push(`--until: ${opts.until} is before the last line (${new Date(input.lastTs).toISOString()})`);
        else until = stamp.at;
      }
      if (problems.length) {
        const more = problems.length > MAX_LISTED ? [`... and ${problems.length - MAX_LISTED} more`] : [];
        fail([...problems.slice(0, MAX_LISTED), ...more, `${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing replayed`]);
      }
      const chunks: string[] = [];
      replay(config, input.lines, (l) => {
        chunks.push(l);
        if (chunks.length >= 1000) process.stdout.write(chunks.splice(0).join('\n') + '\n');
      }, until === undefined ? {} : { until });
      if (chunks.length) process.stdout.write(chunks.join('\n') + '\n');
    });
}
