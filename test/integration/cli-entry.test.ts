// The `lineside` entry (bin/lineside.js, agent/cli/main.ts): a Node older than package.json engines
// gets one line and no stack trace; an unexpected fault is logged once and exits with EXIT.internal,
// which systemd restarts (packaging/systemd/lineside.service keeps 1 and 2 out of restarts only).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { EXIT } from '../../agent/cli/exit-codes.ts';
import { BIN, ROOT } from '../helpers/cli.ts';

const CHECK = pathToFileURL(`${ROOT}bin/node-check.js`).href;

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A preload that makes the process look like it runs on another Node version. */
const pretendNode = (version: string) => `data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"${version}"}})`;

/** A preload that injects a fault once main.ts has installed its handlers. */
const faultOnce = (fault: string) =>
  `data:text/javascript,${encodeURIComponent(`const t = setInterval(() => { if (process.listenerCount('unhandledRejection') === 0) return; clearInterval(t); ${fault}; }, 20);`)}`;

describe('the lineside entry', () => {
  it('says in one line what to do on a Node older than engines, from bin/lineside.js and from npm test', () => {
    const engines = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } }).engines.node;
    for (const [version, entry] of [['20.20.2', BIN], ['22.13.0', `${ROOT}bin/node-check.js`]] as const) {
      const r = node(['--import', pretendNode(version), entry, '--help']);
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `lineside needs Node ${engines} (found v${version}); run ./dev demo or ./dev test, which fetch Node 24 into .cache/, or install Node 24 LTS\n`);
    }
    assert.equal(node(['--import', pretendNode('24.0.0'), `${ROOT}bin/node-check.js`]).status, 0);
  });

  it('checks versions against npm-style ranges', () => {
    const cases: Array<[string, string, boolean]> = [
      ['20.20.2', '^22.18 || >=23.6', false], ['22.13.0', '^22.18 || >=23.6', false], ['22.18.0', '^22.18 || >=23.6', true],
      ['22.30.1', '^22.18 || >=23.6', true], ['23.5.0', '^22.18 || >=23.6', false], ['23.6.0', '^22.18 || >=23.6', true],
      ['24.11.0', '^22.18 || >=23.6', true], ['1.3.0', '~1.2', false], ['1.2.9', '~1.2', true], ['1.2.3', '>1.2.2 <1.3', true], ['2.0.0', '<2', false],
    ];
    const r = node(['--input-type=module', '-e', `import { satisfies } from ${JSON.stringify(CHECK)}; console.log(JSON.stringify(${JSON.stringify(cases)}.map(([v, range]) => satisfies(v, range))))`]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), cases.map((c) => c[2]));
  });

  for (const [what, fault] of [
    ['an uncaught exception', "throw new Error('injected fault')"],
    ['an unhandled rejection', "Promise.reject(new Error('injected fault'))"],
  ] as const) {
    it(`exits ${EXIT.internal} on ${what}, logging it once`, () => {
      const r = node(['--import', faultOnce(fault), BIN, 'simulate', '--no-opcua', '--modbus-port', '0']);
      assert.equal(r.status, EXIT.internal, r.stderr);
      assert.equal(r.stderr.match(/injected fault/g)?.length, 1, r.stderr);
      assert.match(r.stderr, /^lineside: internal error, exiting \(70\): Error: injected fault/m);
    });
  }
});
