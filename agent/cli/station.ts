// `lineside station hash-password`: the scrypt hash of a password for `http.users[].passwordHash`.
// The password is read from stdin (never argv: that shows in `ps` and shell history); from a
// terminal it is asked twice without echo, from a pipe its first line is taken.
import type { Command } from 'commander';
import { hashPassword } from '../station/password.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

async function ask(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  let s = '';
  try {
    for await (const chunk of stdin as AsyncIterable<Buffer>) {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return s;
        if (ch === '\u0003') process.exit(EXIT.usage);
        if (ch === '\u007f') s = s.slice(0, -1);
        else s += ch;
      }
    }
    return s;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

export function registerStation(program: Command): void {
  const station = program.command('station').description(VERB_HELP.station);
  station
    .command('hash-password')
    .description('read a password from stdin and print its scrypt hash for http.users[].passwordHash')
    .action(async () => {
      let password: string;
      if (process.stdin.isTTY) {
        password = await ask('Password: ');
        if ((await ask('Again: ')) !== password) {
          process.stderr.write('the passwords differ\n');
          process.exit(EXIT.usage);
        }
      } else password = await readStdin();
      if (password.length < 8) {
        process.stderr.write('expected a password of at least 8 characters on stdin\n');
        process.exit(EXIT.usage);
      }
      process.stdout.write(`${await hashPassword(password)}\n`);
    });
}
