import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { E, ERRORS, errorsMarkdown } from '../../../agent/errors.ts';

/** Tests that use unregistered codes on purpose (to prove they are caught). */
const DELIBERATE = ['contract/errors.test.ts', 'contract/checker.test.ts'];
const ROOT = new URL('../../../', import.meta.url).pathname;

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

/** Every complete `LS_…` code mentioned in a text (prefixes such as `LS_CMD_` end in `_` and are skipped). */
const codesIn = (text: string) => [...text.matchAll(/\bLS_[A-Z0-9_]+\b/g)].map((m) => m[0]).filter((c) => !c.endsWith('_'));

describe('error code registry', () => {
  it('knows every LS_ code used in the source tree', () => {
    const unknown: string[] = [];
    const sources = ['agent', 'config', 'drivers', 'bin'].flatMap((d) => files(join(ROOT, d), /\.(ts|js)$/));
    assert.ok(sources.length > 50, 'scanned the source tree');
    for (const f of sources) for (const c of codesIn(readFileSync(f, 'utf8'))) if (!(c in ERRORS)) unknown.push(`${f.slice(ROOT.length)}: ${c}`);
    assert.deepEqual(unknown, []);
  });

  it('knows every LS_ code the docs and tests mention', () => {
    const unknown: string[] = [];
    for (const f of [...files(join(ROOT, 'docs'), /\.(md|ya?ml)$/), ...files(join(ROOT, 'test'), /\.ts$/)]) {
      for (const c of codesIn(readFileSync(f, 'utf8'))) if (!(c in ERRORS) && !DELIBERATE.some((d) => f.endsWith(d))) unknown.push(`${f.slice(ROOT.length)}: ${c}`);
    }
    assert.deepEqual(unknown, []);
  });

  it('catches an unregistered code (the scan is not vacuous)', () => {
    assert.deepEqual(codesIn("log.warn({ code: 'LS_FOO_BAR' }); /^LS_[A-Z_]+$/; E.LS_CMD_"), ['LS_FOO_BAR']);
    assert.equal('LS_FOO_BAR' in ERRORS, false);
  });

  it('gives every code a meaning, a surface and an action; HTTP codes a status', () => {
    for (const [code, info] of Object.entries(ERRORS)) {
      assert.match(code, /^LS_(CONFIG|CMD|MQTT|OUTBOX|HTTP|WEBHOOK)_[A-Z_]+$/);
      assert.ok(info.meaning.length > 10 && info.action.length > 2 && info.where.length > 0, code);
      if ((info.where as readonly string[]).includes('http')) assert.ok('status' in info && info.status >= 400, `${code} has an HTTP status`);
      assert.equal(E[code as keyof typeof E], code);
    }
  });

  it('docs/ERRORS.md is generated from the registry and in step', () => {
    const doc = readFileSync(join(ROOT, 'docs/ERRORS.md'), 'utf8');
    assert.equal(doc, errorsMarkdown(), 'run `npm run gen`');
    for (const code of Object.keys(ERRORS)) assert.ok(doc.includes(`\`${code}\``), code);
  });
});
