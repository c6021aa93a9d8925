// What the loader says of a configuration text, one formatted line a problem (none when it is valid):
// the lines users see, so tests compare them whole.
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../config/loader.ts';
import { formatIssue } from '../../config/issues.ts';

export function configProblems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, '/etc/lineside/lineside.yaml', { env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues.map(formatIssue);
  }
  return [];
}
