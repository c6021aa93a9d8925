// ${VAR}, ${VAR:-default} and ${file:/path} in YAML string values. Substitution happens on
// the parsed document, node by node, so every error keeps the line and column it came from.
import { readFileSync } from 'node:fs';
import YAML, { type Document, Scalar } from 'yaml';

const REF = /\$\$\{|\$\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SubstitutionProblem {
  node: Scalar;
  message: string;
}

export type Env = Record<string, string | undefined>;

/** Replace references in one string; problems are collected, never thrown. */
export function substituteText(text: string, env: Env, problems: string[]): string {
  return text.replace(REF, (whole, ref: string | undefined) => {
    if (whole === '$${') return '${';
    const body = ref ?? '';
    if (body.startsWith('file:')) {
      const path = body.slice(5);
      try {
        return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        problems.push(`cannot read secret file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        return '';
      }
    }
    const sep = body.indexOf(':-');
    const name = sep >= 0 ? body.slice(0, sep) : body;
    if (!VAR_NAME.test(name)) {
      problems.push(`malformed reference \${${body}}: expected \${NAME}, \${NAME:-default} or \${file:/path}`);
      return '';
    }
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (sep >= 0) return body.slice(sep + 2);
    problems.push(`environment variable ${name} is not set`);
    return '';
  });
}

/** A plain scalar whose substituted text was read as a number or boolean; `text` undoes that. */
export interface Retyped {
  node: Scalar;
  text: string;
}

export interface Substitution {
  problems: SubstitutionProblem[];
  retyped: Retyped[];
}

/**
 * Substitute in every string value of the document (not in keys). A plain (unquoted) scalar
 * that becomes a number or boolean takes that type, so `port: ${PORT}` works; the loader turns
 * it back into the exact text where the schema wants a string (`retyped`), so a password `007`
 * stays `007`. A mapping value that becomes empty is removed, so `username: ${MQTT_USERNAME:-}`
 * means "unset".
 */
export function substituteDocument(doc: Document, env: Env): Substitution {
  const problems: SubstitutionProblem[] = [];
  const retyped: Retyped[] = [];
  const apply = (node: Scalar): boolean => {
    if (typeof node.value !== 'string' || !node.value.includes('${')) return false;
    const found: string[] = [];
    const out = substituteText(node.value, env, found);
    for (const message of found) problems.push({ node, message });
    node.value = node.type === Scalar.PLAIN ? retype(out) : out;
    if (node.value !== out) retyped.push({ node, text: out });
    return out === '' && found.length === 0;
  };
  YAML.visit(doc, {
    Pair(_, pair) {
      if (YAML.isScalar(pair.value) && apply(pair.value)) return YAML.visit.REMOVE;
      return undefined;
    },
    Scalar(key, node) {
      if (typeof key === 'number') apply(node);
    },
  });
  return { problems, retyped };
}

function retype(text: string): unknown {
  if (text === '') return text;
  try {
    const v: unknown = YAML.parse(text);
    return typeof v === 'number' || typeof v === 'boolean' ? v : text;
  } catch {
    return text;
  }
}
