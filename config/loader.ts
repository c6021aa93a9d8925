// Reads lineside.yaml: YAML with positions, secrets substituted, validated against the schema,
// every problem reported at once with file:line:col.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import YAML, { LineCounter } from 'yaml';
import { configSchema, type LinesideConfig } from './schema/index.ts';
import { errorMap, formatIssue, zodIssues, type ConfigIssue } from './issues.ts';
import { substituteDocument, type Env } from './substitute.ts';
import { E } from '../agent/errors.ts';

export type { ConfigIssue } from './issues.ts';

export class ConfigError extends Error {
  readonly code = E.LS_CONFIG_INVALID;
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export interface LoadedConfig {
  config: LinesideConfig;
  /** Absolute path of the file read. */
  file: string;
  /** Short hash of the effective configuration (after defaults and secrets), for the birth message. */
  hash: string;
}

export interface LoadOptions {
  env?: Env;
  /** Name used in messages; defaults to the file's base name. */
  displayName?: string;
}

/** Parse and validate config text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, file: string, opts: LoadOptions = {}): LoadedConfig {
  const name = opts.displayName ?? basename(file);
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true, keepSourceTokens: false });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({ file: name, line: e.linePos?.[0].line, col: e.linePos?.[0].col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` })),
    );
  }
  const issues: ConfigIssue[] = substituteDocument(doc, opts.env ?? process.env).map((p) => {
    const pos = p.node.range ? lc.linePos(p.node.range[0]) : undefined;
    return { file: name, line: pos?.line, col: pos?.col, path: pathOf(doc, p.node), message: p.message };
  });
  const result = configSchema.safeParse(doc.toJS() ?? {}, { reportInput: true, error: errorMap });
  if (!result.success) {
    // A value already reported as a missing variable would only repeat itself as a type error.
    const substituted = new Set(issues.map((i) => i.path));
    issues.push(...zodIssues(name, doc, lc, result.error.issues).filter((i) => !substituted.has(i.path)));
  }
  if (issues.length) throw new ConfigError(sortIssues(issues));
  const config = result.data!;
  const abs = resolve(file);
  if (!isAbsolute(config.agent.dataDir)) config.agent.dataDir = resolve(dirname(abs), config.agent.dataDir);
  const hash = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
  return { config, file: abs, hash };
}

/** Read, parse and validate a config file. Throws ConfigError listing every problem. */
export function loadConfig(file: string, opts: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  return parseConfig(text, file, opts);
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

/** Dotted path of a scalar inside the document (for substitution problems). */
function pathOf(doc: YAML.Document, target: YAML.Scalar): string {
  let found = '';
  YAML.visit(doc, {
    Scalar(key, node, path) {
      if (node !== target || key === 'key') return;
      const parts: string[] = [];
      for (let i = 1; i < path.length; i++) {
        const parent = path[i - 1];
        const here = path[i];
        if (YAML.isSeq(parent)) parts.push(`[${parent.items.indexOf(here as never)}]`);
        else if (YAML.isPair(here) && YAML.isScalar(here.key)) parts.push(`${parts.length ? '.' : ''}${String(here.key.value)}`);
      }
      const last = path[path.length - 1];
      if (YAML.isSeq(last)) parts.push(`[${last.items.indexOf(node)}]`);
      found = parts.join('');
      return YAML.visit.BREAK;
    },
  });
  return found;
}
