// Turning validation issues into located, readable lines: `file:line:col path: message`.
import type { z } from 'zod';
import { isMap, isNode, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { closestKey } from './closest-key.ts';
import { redactUrlCredentials } from './redact.ts';
import { hidingAt, keysAt } from './schema-at.ts';

export interface ConfigIssue {
  file: string;
  line?: number;
  col?: number;
  /** Dotted path in the config, e.g. `machines[1].connection.unitId`; empty for the document. */
  path: string;
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.line !== undefined ? `${i.file}:${i.line}:${i.col ?? 1}` : i.file;
  return i.path ? `${where} ${i.path}: ${i.message}` : `${where}: ${i.message}`;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(String(p))) out += out ? `.${String(p)}` : String(p);
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

/** A short description of a value for "got ..." in messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

const ARTICLE: Record<string, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', int: 'an integer',
  boolean: 'true or false', record: 'a mapping', nonoptional: 'a value',
};

/** Error map for zod: messages in the "expected …" style for everything not given one in the schema. */
export function errorMap(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${ARTICLE[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `expected at least ${issue.minimum} item(s)` : `expected at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `expected at most ${issue.maximum} item(s)` : `expected at most ${issue.maximum}`;
    default:
      return undefined;
  }
}

interface Located { line: number; col: number }

/** Position of the deepest node that exists along `path` (a missing key points at its parent). */
export function locate(doc: Document, lc: LineCounter, path: ReadonlyArray<PropertyKey>): Located | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = isNode(node) ? node : undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isNode(p.key) ? (p.key as { value?: unknown }).value ?? p.key : p.key) === String(key));
      if (!pair) break;
      node = pair.value;
      best = isNode(pair.value) ? pair.value : isNode(pair.key) ? pair.key : best;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      if (!isNode(node)) break;
      best = node;
    } else break;
  }
  return best?.range ? lc.linePos(best.range[0]) : undefined;
}

/** Position of the key `key` in the mapping at `path`. */
export function locateKey(doc: Document, lc: LineCounter, path: ReadonlyArray<PropertyKey>, key: string): Located | undefined {
  const map = path.length ? doc.getIn(path as unknown[], true) : doc.contents;
  if (isMap(map)) {
    const pair = map.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === key);
    if (pair && isNode(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]);
  }
  return locate(doc, lc, path);
}

/** What a message may know besides the issue: the schema and the input it checked. */
export interface IssueContext {
  root: z.core.$ZodType;
  input: unknown;
}

/** Located issues from a failed zod parse. Values of secret fields are never repeated. */
export function zodIssues(file: string, doc: Document, lc: LineCounter, issues: z.core.$ZodIssue[], ctx: IssueContext): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const input = (issue as { input?: unknown }).input;
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(ctx.root, issue.path, ctx.input);
      for (const key of issue.keys) {
        const near = closestKey(key, allowed);
        out.push({ file, ...locateKey(doc, lc, issue.path, key), path: formatPath([...issue.path, key]), message: near ? `unknown key; did you mean \`${near}\`?` : 'unknown key' });
      }
      continue;
    }
    let message = issue.message;
    let got: unknown = input;
    if (issue.code === 'invalid_union' && 'discriminator' in issue && input && typeof input === 'object') {
      got = (input as Record<string, unknown>)[issue.discriminator as string];
    }
    const hides = got === undefined ? undefined : hidingAt(ctx.root, issue.path, ctx.input);
    if (hides === 'url-password' && typeof got === 'string') got = redactUrlCredentials(got);
    if (got === undefined && issue.code === 'invalid_type') message = `missing; ${message}`;
    else if (got !== undefined && hides !== 'value' && issue.code !== 'custom' && !/\bgot\b/.test(message)) message = `${message}, got ${describeValue(got)}`;
    out.push({ file, ...locate(doc, lc, issue.path), path: formatPath(issue.path), message });
  }
  return out;
}
