// Is this Node new enough for Lineside? Plain JavaScript that parses on any Node still in use, so a
// too-old one gets one line saying what to do instead of ERR_UNKNOWN_FILE_EXTENSION or a stack trace.
// The one source of the minimum is package.json `engines.node`. Used by bin/lineside.js before it
// loads any TypeScript, by `npm test` (pretest) and by scripts/node-env.sh (`node bin/node-check.js`
// exits 1 with that line when the Node running it does not satisfy engines).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `engines.node` of package.json, e.g. "^22.18 || >=23.6"; undefined when it cannot be read. */
export function enginesRange() {
  try {
    return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
  } catch {
    return undefined;
  }
}

function parts(text) {
  return text.split('.').map((n) => (/^\d+$/.test(n) ? Number(n) : 0)).concat(0, 0, 0).slice(0, 3);
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** One comparator of a range: ^1.2, ~1.2.3, >=1.2, >1, <=2, <2, =1.2.3 or 1.2.3; unknown ones pass. */
function meets(v, comparator) {
  const m = /^(\^|~|>=|<=|>|<|=)?v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
  if (!m) return true;
  const op = m[1] ?? '=';
  const given = m[2].split('.').length;
  const c = parts(m[2]);
  const d = compare(v, c);
  if (op === '>=') return d >= 0;
  if (op === '>') return d > 0;
  if (op === '<=') return d <= 0;
  if (op === '<') return d < 0;
  const upper = op === '^' ? [c[0] + 1, 0, 0] : op === '~' && given > 1 ? [c[0], c[1] + 1, 0] : null;
  if (upper) return d >= 0 && compare(v, upper) < 0;
  // "=1.2" or "~1" matches every 1.2.x (every 1.x.y).
  return v.slice(0, given).every((n, i) => n === c[i]);
}

/** Does a Node version ("22.18.0") satisfy an npm semver range made of ||, spaces and the comparators above? */
export function satisfies(version, range) {
  const v = parts(version);
  return range.split('||').some((set) => set.trim().split(/\s+/).every((c) => c === '' || meets(v, c)));
}

/** The line to print when this Node is too old for Lineside, or undefined when it is fine. */
export function nodeProblem(version = process.versions.node, range = enginesRange()) {
  if (range === undefined || satisfies(version, range)) return undefined;
  return `lineside needs Node ${range} (found v${version}); run ./dev demo or ./dev test, which fetch Node 24 into .cache/, or install Node 24 LTS`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problem = nodeProblem();
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exitCode = 1;
  }
}
