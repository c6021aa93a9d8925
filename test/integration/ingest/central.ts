// `lineside ingest` as a child process, with a central.yaml written for a test's broker and database.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { tempDir } from '../../helpers/tmp.ts';

export interface CentralOptions {
  mqttUrl: string;
  pgUrl: string;
  clientId: string;
  group?: string;
  /** Extra YAML sections (batch, gaps, ...). */
  extra?: string;
}

export function writeCentralConfig(o: CentralOptions): string {
  const file = join(tempDir('lineside-central-'), 'central.yaml');
  writeFileSync(
    file,
    `mqtt: { url: "${o.mqttUrl}", clientId: ${o.clientId}, group: ${o.group ?? 'ingest'}, reconnect: 200ms }
postgres: { url: "${o.pgUrl}" }
http: { port: 0 }
${o.extra ?? ''}
`,
  );
  return file;
}

export class IngestProcess extends AgentProcess {
  constructor(configFile: string) {
    super(['ingest', '--config', configFile]);
  }

  /** Resolves with the HTTP port once subscribed. */
  async ready(timeoutMs = 20_000): Promise<number> {
    const started = await this.msg('ingest started', timeoutMs);
    await this.msg('subscribed', timeoutMs);
    return started.port as number;
  }
}
