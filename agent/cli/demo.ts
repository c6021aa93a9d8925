// `lineside demo` (what `npm start` runs): simulators, an embedded broker and the agent in one
// process, with a live terminal view — or JSON lines when stdout is not a terminal (or --json).
import type { Command } from 'commander';
import type { LevelWithSilent } from 'pino';
import { parseDuration } from '../../config/schema/units.ts';
import { startDemo, type RunningDemo } from '../demo/demo.ts';
import { renderFrame, type Header } from '../demo/view.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

interface DemoCliOptions {
  duration?: string;
  speed: string;
  seed: string;
  json?: boolean;
  dataDir?: string;
  ingest?: boolean;
}

function usage(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(EXIT.usage);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(VERB_HELP.demo)
    .option('--duration <time>', 'stop after this long (e.g. 20s, 5m); default: until Ctrl+C')
    .option('--speed <factor>', 'machines and agent clock run this many times faster (60: an 8-hour shift in 8 minutes)', '60')
    .option('--seed <n>', 'random seed of the simulated machines', '1')
    .option('--json', 'print one JSON line per second instead of the terminal view (the default when stdout is not a terminal)')
    .option('--data-dir <dir>', 'where the demo config, databases and log go (default: a new temporary directory)')
    .option('--ingest', 'also run the central ingest in-process: every message into the BI tables of {data-dir}/central.sqlite')
    .action(async (opts: DemoCliOptions, cmd: Command) => {
      const durationMs = opts.duration === undefined ? undefined : parseDuration(opts.duration);
      if (durationMs === undefined && opts.duration !== undefined) usage(`--duration: expected a duration like 20s or 5m, got "${opts.duration}"`);
      const speed = Number(opts.speed);
      if (!Number.isFinite(speed) || speed < 1 || speed > 3600) usage(`--speed: expected a factor from 1 to 3600, got "${opts.speed}"`);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0) usage(`--seed: expected a non-negative integer, got "${opts.seed}"`);
      const json = opts.json === true || !process.stdout.isTTY;
      const logLevel = (cmd.optsWithGlobals().logLevel as LevelWithSilent | undefined) ?? 'info';

      let demo: RunningDemo;
      try {
        demo = await startDemo({ speed, seed, logLevel, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), ingest: opts.ingest === true, onFault: (f) => json && line({ event: 'fault', ...f }) });
      } catch (err) {
        process.stderr.write(`demo failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(EXIT.startFailed);
      }
      const { info } = demo;
      const header: Header = { line: info.line, speed, subscribe: info.subscribe, metrics: `${info.http.url}/healthz · ${info.http.url}/readyz · ${info.http.url}/metrics`, station: info.station, logFile: info.logFile, configFile: info.configFile };
      if (json) line({ event: 'started', ...info });
      else process.stdout.write('\x1b[?25l'); // hide the cursor while frames redraw

      let outputGone = false;
      const draw = () => {
        if (outputGone) return;
        const frame = demo.frame();
        if (json) line(frame);
        else process.stdout.write(`\x1b[H\x1b[2J${renderFrame(frame, header)}\n`);
      };
      draw();
      const ticker = setInterval(draw, 1000);
      let stopping = false;
      const stop = async (why: string) => {
        if (stopping) process.exit(EXIT.stopTimeout); // a second Ctrl+C
        stopping = true;
        clearInterval(ticker);
        clearTimeout(ender);
        draw();
        if (!json && !outputGone) process.stdout.write(`\x1b[?25h\nStopping (${why})…\n`);
        const killer = setTimeout(() => process.exit(EXIT.stopTimeout), 20_000);
        killer.unref();
        await demo.stop();
        if (outputGone) process.exit(EXIT.ok);
        if (json) line({ event: 'stopped', reason: why });
        else process.stdout.write(`Stopped. Config, databases and log are kept in ${info.dataDir}\n`);
        // Third-party clients (node-opcua) may keep handles; the demo's own work is done.
        setImmediate(() => process.exit(EXIT.ok));
      };
      const ender = durationMs === undefined ? undefined : setTimeout(() => void stop('duration reached'), durationMs);
      // A reader that goes away (`lineside demo | head`) ends the demo cleanly instead of crashing it.
      process.stdout.on('error', () => {
        outputGone = true;
        if (!stopping) void stop('stdout closed');
      });
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}

function line(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
