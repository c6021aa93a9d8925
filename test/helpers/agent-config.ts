// A config file for `lineside run` in a fresh temporary directory. The HTTP API takes a free port
// so concurrent test agents never compete for 8710; with no broker given, MQTT points at a closed
// port (the agent buffers, which these tests do not look at).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.ts';

export interface AgentConfigOptions {
  id: string;
  /** YAML after the agent/location/mqtt/http header: `machines:` and any other section. */
  body: string;
  mqttUrl?: string;
  /** Directory to write into (default: a new temporary one). */
  dir?: string;
}

/** Writes `lineside.yaml` and returns its path; data goes to `./data` beside it. */
export function writeAgentConfig(o: AgentConfigOptions): string {
  const file = join(o.dir ?? tempDir(), 'lineside.yaml');
  writeFileSync(
    file,
    `agent: { id: ${o.id}, dataDir: ./data }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: "${o.mqttUrl ?? 'mqtt://127.0.0.1:1'}" }
http: { port: 0 }
${o.body}`,
  );
  return file;
}
