// The load-producing fixture agent (test/fixtures/load-agent.ts) as a child process.
import { fileURLToPath } from 'node:url';
import { JsonLogProcess, type LogLine } from '../../helpers/agent-process.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/load-agent.ts', import.meta.url));

export type Line = LogLine;

export class LoadAgent extends JsonLogProcess {
  constructor(settings: Record<string, unknown>) {
    super([FIXTURE], { LOAD_AGENT: JSON.stringify(settings) });
  }

  override waitFor(match: (l: Line) => boolean, timeoutMs = 30_000): Promise<Line> {
    return super.waitFor(match, timeoutMs);
  }
}
