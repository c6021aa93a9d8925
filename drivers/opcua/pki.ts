// The agent's OPC UA PKI folder: the client certificate (made once, kept), trusted and rejected
// server certificates. The driver and the `lineside opcua certs|trust` verbs share these paths.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import type { AgentIdentity } from '../driver.ts';

/** PKI root under the agent's data dir; the runner gives drivers `{dataDir}/drivers/opcua`. */
export function pkiRoot(driverDir: string): string {
  return join(driverDir, 'pki');
}

export function driverDirOf(agentDataDir: string): string {
  return join(agentDataDir, 'drivers', 'opcua');
}

export const pkiPaths = (root: string) => ({
  root,
  trusted: join(root, 'trusted', 'certs'),
  rejected: join(root, 'rejected'),
  ownCert: join(root, 'own', 'certs', 'client_certificate.pem'),
});

export const APPLICATION_NAME = 'Lineside';
export const applicationUri = () => `urn:${hostname()}:Lineside`;

/**
 * Subject of the client certificate, as a PLC's operator sees it in the server's list of clients
 * to trust: the application and agent, and where it stands. Left to node-opcua it would name the
 * library's makers (O=Sterfive, L=Orleans) and say nothing about which gateway it is.
 */
export function clientSubject(agent: AgentIdentity | undefined): { commonName: string; organization: string; organizationalUnit?: string; locality?: string } {
  const cn = `${APPLICATION_NAME}@${agent?.id ?? hostname()}`.slice(0, 64);
  const loc = agent?.location;
  if (!loc) return { commonName: cn, organization: APPLICATION_NAME };
  return { commonName: cn, organization: loc.enterprise, organizationalUnit: `${loc.area} ${loc.line}`, locality: loc.site };
}

const creating = new Map<string, Promise<void>>();

/**
 * Makes the client certificate unless it exists. A kept certificate is never replaced (servers
 * trusted it as it is): to re-issue it with a new subject, delete `own/` under the PKI folder.
 */
export async function ensureClientCertificate(cm: OPCUACertificateManager, root: string, agent: AgentIdentity | undefined): Promise<void> {
  const file = pkiPaths(root).ownCert;
  if (existsSync(file) && statSync(file).size > 0) return;
  // Machines sharing the folder connect at the same moment at start: one creates, the others wait.
  let pending = creating.get(file);
  if (!pending) {
    pending = (async () => {
      await cm.initialize();
      if (existsSync(file) && statSync(file).size > 0) return;
      // Valid from a day back: a PLC whose clock is behind must not find it "not yet valid".
      await cm.createSelfSignedCertificate({ subject: clientSubject(agent), applicationUri: applicationUri(), dns: [hostname()], startDate: new Date(Date.now() - 86_400_000), validity: 3650, outputFile: file });
    })().finally(() => creating.delete(file));
    creating.set(file, pending);
  }
  await pending;
}

/** A certificate manager that never accepts an unknown server certificate (node-opcua's default does). */
export function createCertificateManager(root: string): OPCUACertificateManager {
  mkdirSync(root, { recursive: true });
  return new OPCUACertificateManager({ rootFolder: root, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
}

/** Upper-case hex with colons, as `openssl x509 -fingerprint` and UaExpert print it. */
export function formatFingerprint(hex: string): string {
  return normaliseFingerprint(hex).match(/../g)!.join(':');
}

export function normaliseFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toUpperCase();
}

export function fingerprintOf(der: Buffer): string {
  return new X509Certificate(der).fingerprint.toUpperCase();
}

export interface CertInfo {
  state: 'trusted' | 'rejected';
  fingerprint: string;
  subject: string;
  validTo: string;
  file: string;
}

function readCerts(dir: string, state: CertInfo['state']): CertInfo[] {
  if (!existsSync(dir)) return [];
  const out: CertInfo[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(pem|der|crt|cer)$/i.test(name)) continue;
    const file = join(dir, name);
    try {
      const cert = new X509Certificate(readFileSync(file));
      out.push({ state, fingerprint: cert.fingerprint.toUpperCase(), subject: cert.subject.replace(/\n/g, ', '), validTo: cert.validTo, file });
    } catch {
      // Not a certificate (or a torn write): listing must not fail because of it.
    }
  }
  return out;
}

export function listCertificates(root: string): CertInfo[] {
  const p = pkiPaths(root);
  return [...readCerts(p.trusted, 'trusted'), ...readCerts(p.rejected, 'rejected')];
}

/** The client certificate, if it was made already. */
export function ownCertificate(root: string): { fingerprint: string; subject: string; validTo: string; file: string } | undefined {
  const file = pkiPaths(root).ownCert;
  if (!existsSync(file)) return undefined;
  const cert = new X509Certificate(readFileSync(file));
  return { fingerprint: cert.fingerprint.toUpperCase(), subject: cert.subject.replace(/\n/g, ', '), validTo: cert.validTo, file };
}

export type TrustResult = { ok: true; cert: CertInfo; already: boolean } | { ok: false; reason: string };

/** Move a rejected certificate to trusted, by fingerprint (colons and case do not matter). */
export function trustCertificate(root: string, fingerprint: string): TrustResult {
  const want = normaliseFingerprint(fingerprint);
  if (!/^[0-9A-F]{40}$/.test(want)) return { ok: false, reason: `expected a SHA-1 fingerprint (40 hex digits), got "${fingerprint}"` };
  const all = listCertificates(root);
  const found = all.find((c) => normaliseFingerprint(c.fingerprint) === want);
  if (!found) return { ok: false, reason: `no certificate with fingerprint ${formatFingerprint(want)} in ${root}; connect once so the server certificate lands in rejected/, or check \`lineside opcua certs\`` };
  if (found.state === 'trusted') return { ok: true, cert: found, already: true };
  const p = pkiPaths(root);
  mkdirSync(p.trusted, { recursive: true });
  const dest = join(p.trusted, found.file.slice(p.rejected.length + 1));
  renameSync(found.file, dest);
  return { ok: true, cert: { ...found, state: 'trusted', file: dest }, already: false };
}
