// Reads lineside.yaml: YAML with positions, secrets substituted, validated against the schema,
// every problem reported at once with file:line:col.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import YAML, { LineCounter } from 'yaml';
import { z } from 'zod';
import { kernelFsOf } from './data-dir.ts';
import { configSchema, type LinesideConfig } from './schema/index.ts';
import { errorMap, formatIssue, formatPath, locate, zodIssues, type ConfigIssue } from './issues.ts';
import { substituteDocument, type Env, type Retyped } from './substitute.ts';
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

type Shape = typeof configSchema.shape;
export type Section = keyof Shape;

export interface LoadedSections<K extends Section> {
  config: Pick<LinesideConfig, K>;
  /** Absolute path of the file read. */
  file: string;
}

/** Parse and validate config text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, file: string, opts: LoadOptions = {}): LoadedConfig {
  const config = parseWith(configSchema, text, file, opts) as LinesideConfig;
  const hash = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
  return { config, file: resolve(file), hash };
}

/**
 * Parse and validate only some top-level sections, for verbs that use nothing else: the rest of
 * the file is neither substituted nor checked, so `opcua trust` works without the secrets of
 * `mqtt` (which systemd installs keep in a root-only environment file).
 */
export function parseConfigSections<K extends Section>(text: string, file: string, sections: readonly K[], opts: LoadOptions = {}): LoadedSections<K> {
  const shape = Object.fromEntries(sections.map((k) => [k, configSchema.shape[k]]));
  const config = parseWith(z.strictObject(shape), text, file, opts, sections) as Pick<LinesideConfig, K>;
  return { config, file: resolve(file) };
}

/**
 * Validate the file against a verb's own schema. `unread` removes what the verb ignores from the
 * document before `${VAR}` substitution, so those parts need neither be valid nor have their
 * variables set (`lineside replay` reads no connection details).
 */
export function loadConfigAs<S extends z.ZodType>(file: string, schema: S, unread: (doc: YAML.Document) => void, opts: LoadOptions = {}): { config: z.output<S>; file: string } {
  const config = parseWith(schema, readConfigFile(file), file, opts, undefined, unread) as z.output<S>;
  return { config, file: resolve(file) };
}

/** Read, parse and validate a config file. Throws ConfigError listing every problem. */
export function loadConfig(file: string, opts: LoadOptions = {}): LoadedConfig {
  return parseConfig(readConfigFile(file), file, opts);
}

/** Read a config file and validate only `sections` (see parseConfigSections). */
export function loadConfigSections<K extends Section>(file: string, sections: readonly K[], opts: LoadOptions = {}): LoadedSections<K> {
  return parseConfigSections(readConfigFile(file), file, sections, opts);
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
}

function parseWith(schema: z.ZodType, text: string, file: string, opts: LoadOptions, sections?: readonly string[], unread?: (doc: YAML.Document) => void): unknown {
  const name = opts.displayName ?? basename(file);
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true, keepSourceTokens: false });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({ file: name, line: e.linePos?.[0].line, col: e.linePos?.[0].col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` })),
    );
  }
  if (sections && YAML.isMap(doc.contents)) {
    doc.contents.items = doc.contents.items.filter((p) => YAML.isScalar(p.key) && sections.includes(String(p.key.value)));
  }
  unread?.(doc);
  const { problems, retyped } = substituteDocument(doc, opts.env ?? process.env);
  const issues: ConfigIssue[] = problems.map((p) => ({ file: name, ...position(lc, p.node), path: formatPath(pathOf(doc, p.node)), message: p.message }));
  const result = validateRetyped(schema, doc, retyped);
  if (!result.success) {
    // A value already reported as a missing variable would only repeat itself as a type error.
    const substituted = new Set(issues.map((i) => i.path));
    const context = { root: schema, input: result.input };
    issues.push(...zodIssues(name, doc, lc, result.error.issues, context).filter((i) => !substituted.has(i.path)));
  }
  // Checked on the input, so it is reported along with every other problem.
  const written = (result.input as { agent?: { dataDir?: unknown } }).agent?.dataDir;
  const kernel = typeof written === 'string' ? kernelFsOf(dataDirOf(file, written)) : undefined;
  if (kernel) {
    issues.push({ file: name, ...locate(doc, lc, ['agent', 'dataDir']), path: 'agent.dataDir', message: `expected a directory on a disk (e.g. /var/lib/lineside), got "${String(written)}" inside ${kernel}, a kernel file system` });
  }
  if (issues.length) throw new ConfigError(sortIssues(issues));
  const config = result.data as { agent?: { dataDir: string } };
  if (config.agent) config.agent.dataDir = dataDirOf(file, config.agent.dataDir);
  return config;
}

/** Relative data directories are relative to the config file. */
function dataDirOf(configFile: string, dataDir: string): string {
  return isAbsolute(dataDir) ? dataDir : resolve(dirname(resolve(configFile)), dataDir);
}

/**
 * Validate; where a substituted unquoted value was read as a number or boolean but the schema
 * wants a string, put back the exact text and validate again (each round fixes at least one).
 */
function validateRetyped(schema: z.ZodType, doc: YAML.Document, retyped: Retyped[]): z.ZodSafeParseResult<unknown> & { input: unknown } {
  const pending = new Map(retyped.map((r) => [formatPath(pathOf(doc, r.node)), r]));
  for (;;) {
    const input: unknown = doc.toJS() ?? {};
    const result = schema.safeParse(input, { reportInput: true, error: errorMap });
    const wantText = result.success ? [] : result.error.issues.filter((i) => i.code === 'invalid_type' && i.expected === 'string' && pending.has(formatPath(i.path)));
    if (!wantText.length) return Object.assign(result, { input });
    for (const issue of wantText) {
      const key = formatPath(issue.path);
      const r = pending.get(key)!;
      r.node.value = r.text;
      pending.delete(key);
    }
  }
}

function position(lc: LineCounter, node: YAML.Scalar): { line?: number; col?: number } {
  const pos = node.range ? lc.linePos(node.range[0]) : undefined;
  return pos ? { line: pos.line, col: pos.col } : {};
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

/** Path of a scalar inside the document, as zod would give it (for substitution problems). */
function pathOf(doc: YAML.Document, target: YAML.Scalar): PropertyKey[] {
  let found: PropertyKey[] = [];
  YAML.visit(doc, {
    Scalar(key, node, path) {
      if (node !== target || key === 'key') return;
      const parts: PropertyKey[] = [];
      for (let i = 1; i < path.length; i++) {
        const parent = path[i - 1];
        const here = path[i];
        if (YAML.isSeq(parent)) parts.push(parent.items.indexOf(here as never));
        else if (YAML.isPair(here) && YAML.isScalar(here.key)) parts.push(String(here.key.value));
      }
      const last = path[path.length - 1];
      if (YAML.isSeq(last)) parts.push(last.items.indexOf(node));
      found = parts;
      return YAML.visit.BREAK;
    },
  });
  return found;
}
