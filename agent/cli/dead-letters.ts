// `lineside dead-letters list|resend`: the messages a destination refused for good (a webhook
// receiver's 400, a broker's "not authorised"), read from and marked in the agent's outbox.db.
// It works beside a running agent (SQLite WAL: the agent's outbox tick takes what is marked
// within a second) and on a stopped one (taken at its next start). Only the `agent` section of
// the configuration is read, so the secrets of the other sections need not be in this shell.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Option, type Command } from 'commander';
import { DeadLetters, requeueDeadLetters, type DeadLetter } from '../outbox/dead-letters.ts';
import { loadConfigSectionsOrExit } from './config-arg.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

interface Common {
  config?: string;
  dataDir?: string;
  destination?: string;
}

const PAGE = 500;

function die(code: number, line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(code);
}

function outboxFile(o: Common): string {
  if (o.config && o.dataDir) die(EXIT.usage, 'give --config or --data-dir, not both');
  const dir = o.config ? loadConfigSectionsOrExit(o.config, ['agent']).config.agent.dataDir : o.dataDir;
  if (!dir) die(EXIT.usage, 'expected --config FILE (or --data-dir DIR): where the agent keeps outbox.db');
  const file = join(dir, 'outbox.db');
  // Never create one: an empty outbox here would only hide a wrong path.
  if (!existsSync(file)) die(EXIT.startFailed, `no outbox at ${file} (has the agent run with this data directory?)`);
  return file;
}

function open(file: string): Database.Database {
  try {
    const db = new Database(file, { fileMustExist: true });
    // The running agent commits every few ms; wait for its lock rather than fail.
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    die(EXIT.startFailed, `cannot open ${file}: ${(err as Error).message}`);
  }
}

/** Destinations the file knows: those with a cursor, and those with dead letters. */
function knownDestinations(db: Database.Database): string[] {
  const rows = db.prepare('SELECT dest FROM cursors UNION SELECT dest FROM dead_letters ORDER BY 1').all() as Array<{ dest: string }>;
  return rows.map((r) => r.dest);
}

/** `cmms` names the webhook `webhook:cmms`; full cursor names (`mqtt`, `webhook:cmms`) work as they are. */
function resolveDestination(db: Database.Database, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const known = knownDestinations(db);
  const found = [name, `webhook:${name}`].find((n) => known.includes(n));
  if (!found) die(EXIT.usage, `no destination "${name}" in this outbox (known: ${known.join(', ') || 'none'})`);
  return found;
}

function allOf(letters: DeadLetters, dest: string): DeadLetter[] {
  const out: DeadLetter[] = [];
  for (let after = 0; ; ) {
    const page = letters.list(dest, after, PAGE);
    out.push(...page);
    if (page.length < PAGE) return out;
    after = page[page.length - 1]!.seq;
  }
}

function list(o: Common & { json?: boolean }): void {
  const db = open(outboxFile(o));
  try {
    const dest = resolveDestination(db, o.destination);
    const letters = new DeadLetters(db);
    const dests = dest ? [dest] : [...letters.counts().keys()].sort();
    let total = 0;
    for (const d of dests) {
      const rows = allOf(letters, d);
      total += rows.length;
      if (o.json) {
        for (const r of rows) process.stdout.write(`${JSON.stringify({ destination: d, seq: r.seq, at: iso(r.at), code: r.code, reason: r.reason, machine: r.machine, kind: r.kind, schema: r.schema, ts: iso(r.ts) })}\n`);
        continue;
      }
      process.stdout.write(`${d}: ${rows.length} dead letter${rows.length === 1 ? '' : 's'}\n`);
      for (const r of rows) process.stdout.write(`  seq ${r.seq}  ${r.machine}/${r.kind}  ts ${iso(r.ts)}  refused ${iso(r.at)}  ${r.code}  ${r.reason}\n`);
    }
    if (!o.json && total === 0) process.stdout.write('no dead letters\n');
  } finally {
    db.close();
  }
}

function resend(o: Common & { seq?: string[]; all?: boolean }): void {
  const seqs = o.seq?.map((s) => (/^\d+$/.test(s) ? Number(s) : die(EXIT.usage, `--seq: expected a seq number, got "${s}"`)));
  if (!o.destination && !seqs?.length && !o.all) die(EXIT.usage, 'say which: --destination NAME, --seq N..., or --all');
  const db = open(outboxFile(o));
  try {
    const dest = resolveDestination(db, o.destination);
    const n = requeueDeadLetters(db, dest, seqs);
    const which = dest ? ` of ${dest}` : '';
    if (n === 0) process.stdout.write(`no dead letters${which} to resend${seqs?.length ? ` with seq ${seqs.join(', ')}` : ''}\n`);
    else process.stdout.write(`${n} dead letter${n === 1 ? '' : 's'}${which} marked to go again: a running agent sends them within a second (with replay: true), a stopped one at its next start\n`);
  } finally {
    db.close();
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export function registerDeadLetters(program: Command): void {
  const cmd = program.command('dead-letters').description(VERB_HELP['dead-letters']);
  const common = (c: Command) =>
    c
      .option('-c, --config <file>', 'the agent configuration (only agent.dataDir is read)')
      .addOption(new Option('--data-dir <dir>', 'the agent data directory, instead of --config'))
      .option('-d, --destination <name>', 'one destination: a webhook name (`cmms` or `webhook:cmms`) or `mqtt`');
  common(cmd.command('list').description('list dead letters per destination: seq, machine and kind, when refused, code and reason'))
    .option('--json', 'one JSON object per line')
    .action((o: Common & { json?: boolean }) => list(o));
  common(cmd.command('resend').description('mark dead letters to go again (the running agent picks them up within a second)'))
    .option('-s, --seq <n...>', 'only these seqs')
    .option('--all', 'every dead letter of every destination')
    .action((o: Common & { seq?: string[]; all?: boolean }) => resend(o));
}
