// What every MQTT connection of the agent (the contract's publisher, the Sparkplug edge node) takes
// from its config section alike: credentials, TLS and mutual TLS, with a file that cannot be read
// named by its config path.
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';

export interface BrokerAccess {
  username?: string | undefined;
  password?: string | undefined;
  tls?: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined; rejectUnauthorized: boolean; servername?: string | undefined } | undefined;
}

function readPem(file: string | undefined, where: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${where}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

/** Sets credentials and TLS of `section` (e.g. `mqtt`, `sparkplug`) on the options. */
export function applyBrokerAccess(opts: IClientOptions, cfg: BrokerAccess, section: string): IClientOptions {
  if (cfg.username !== undefined && cfg.username !== '') opts.username = cfg.username;
  if (cfg.password !== undefined && cfg.password !== '') opts.password = cfg.password;
  if (cfg.tls) {
    const ca = readPem(cfg.tls.ca, `${section}.tls.ca`);
    const cert = readPem(cfg.tls.cert, `${section}.tls.cert`);
    const key = readPem(cfg.tls.key, `${section}.tls.key`);
    if (ca) opts.ca = ca;
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    opts.rejectUnauthorized = cfg.tls.rejectUnauthorized;
    if (cfg.tls.servername) opts.servername = cfg.tls.servername;
  }
  return opts;
}
