// Opens one OPC UA client + session with exactly the configured security, and turns every way a
// link dies (socket lost, session closed, keep-alive failure) into one `onLost` call. Reconnecting
// is the runner's job: a lost link is closed and rebuilt from scratch, so a server restart, a
// new session id or a changed address space all take the same, tested path.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { format } from 'node:util';
import {
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  setErrorLogger,
  setWarningLogger,
  StatusCodes,
  UserTokenType,
  type ClientSession,
  type OPCUACertificateManager,
  type StatusCode,
  type UserIdentityInfo,
} from 'node-opcua';
import type { Logger } from 'pino';
import type { OpcuaConnectionConfig } from '../../config/schema/index.ts';
import type { AgentIdentity } from '../driver.ts';
import { explainFailure, untrusted, type Verdict } from './diagnose.ts';
import { APPLICATION_NAME, applicationUri, createCertificateManager, ensureClientCertificate, normaliseFingerprint } from './pki.ts';

export { UntrustedServerError } from './diagnose.ts';

export interface OpcuaLink {
  client: OPCUAClient;
  session: ClientSession;
  /** SHA-1 fingerprint of the server certificate checked at connect (secured endpoints only). */
  serverFingerprint: string | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  pkiRoot: string;
  log: Logger;
  onLost: (err: Error) => void;
  /** Named in the client certificate when it is first made. */
  agent?: AgentIdentity;
  /** Called with the server's clock (the response header timestamp) as each response arrives. */
  onServerTime?: (serverTime: Date | null | undefined) => void;
}

// node-opcua prints its own warnings to the console; in the agent they belong in the JSON log.
let opcuaLog: Logger | undefined;
let loggersRouted = false;
function routeLibraryLogs(log: Logger): void {
  opcuaLog = log;
  if (loggersRouted) return;
  loggersRouted = true;
  setWarningLogger((...args: unknown[]) => opcuaLog?.debug({ lib: 'node-opcua' }, format(...args)));
  setErrorLogger((...args: unknown[]) => opcuaLog?.debug({ lib: 'node-opcua' }, format(...args)));
}

/** First certificate of a DER chain (servers may send the chain concatenated). */
export function firstDer(chain: Buffer): Buffer {
  if (chain.length < 2 || chain[0] !== 0x30) return chain;
  const l = chain[1]!;
  if (l < 0x80) return chain.subarray(0, 2 + l);
  const n = l & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + chain[2 + i]!;
  return chain.subarray(0, Math.min(chain.length, 2 + n + len));
}

/**
 * Wraps the manager's check so we learn which certificate was judged and can apply a pin.
 * A pin replaces the trust list: only the pinned certificate is accepted, trusted or not.
 */
function watchTrust(cm: OPCUACertificateManager, pin: string | undefined, verdicts: Verdict[]): void {
  const original = cm.checkCertificate.bind(cm) as unknown as (chain: Buffer) => Promise<StatusCode>;
  const check = async (chain: Buffer | Buffer[]): Promise<StatusCode> => {
    const der = firstDer(Array.isArray(chain) ? chain[0]! : chain);
    const cert = new X509Certificate(der);
    const fingerprint = cert.fingerprint.toUpperCase();
    const subject = cert.subject.replace(/\n/g, ', ');
    let status: StatusCode;
    if (pin !== undefined) status = normaliseFingerprint(fingerprint) === pin ? StatusCodes.Good : StatusCodes.BadCertificateUntrusted;
    else status = await original(Buffer.isBuffer(chain) ? chain : Buffer.concat(chain));
    verdicts.push({ fingerprint, subject, good: status.equals(StatusCodes.Good) });
    return status;
  };
  Object.assign(cm, { checkCertificate: check });
}

function identity(conn: OpcuaConnectionConfig): UserIdentityInfo {
  const auth = conn.auth;
  if (auth.type === 'username') return { type: UserTokenType.UserName, userName: auth.username, password: auth.password };
  if (auth.type === 'certificate') {
    const cert = new X509Certificate(readFileSync(auth.cert));
    return { type: UserTokenType.Certificate, certificateData: cert.raw, privateKey: readFileSync(auth.key, 'utf8') } as UserIdentityInfo;
  }
  return { type: UserTokenType.Anonymous };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function openLink(conn: OpcuaConnectionConfig, o: OpenOptions): Promise<OpcuaLink> {
  routeLibraryLogs(o.log);
  const cm = createCertificateManager(o.pkiRoot);
  // Also for securityMode None: node-opcua makes one on any connect, with its own subject, and a
  // certificate made once is kept for the secured connections that come later.
  await ensureClientCertificate(cm, o.pkiRoot, o.agent);
  const verdicts: Verdict[] = [];
  const pin = conn.serverCertificateFingerprint === undefined ? undefined : normaliseFingerprint(conn.serverCertificateFingerprint);
  watchTrust(cm, pin, verdicts);
  const client = OPCUAClient.create({
    applicationName: APPLICATION_NAME,
    applicationUri: applicationUri(),
    clientCertificateManager: cm,
    securityMode: MessageSecurityMode[conn.securityMode],
    securityPolicy: SecurityPolicy[conn.securityPolicy],
    // The endpoint is chosen by exact mode + policy; node-opcua fails when none matches and
    // never picks a weaker one. No built-in retries: the runner owns back-off and reconnection.
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 200, maxDelay: 1000 },
    requestedSessionTimeout: conn.sessionTimeout,
    keepSessionAlive: true,
    transportTimeout: conn.timeout,
    defaultTransactionTimeout: conn.timeout,
  });
  const onServerTime = o.onServerTime;
  if (onServerTime) client.on('receive_response', (response: { responseHeader?: { timestamp?: Date | null } }) => onServerTime(response.responseHeader?.timestamp));
  let session: ClientSession | undefined;
  let closed = false;
  const lost = (why: string) => {
    if (closed) return;
    o.onLost(new Error(why));
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    client.removeAllListeners('connection_lost');
    client.removeAllListeners('receive_response');
    session?.removeAllListeners('session_closed');
    session?.removeAllListeners('keepalive_failure');
    if (session) await withTimeout(session.close(true), 2000, 'closing the session').catch(() => {});
    await withTimeout(client.disconnect(), 3000, 'disconnecting').catch(() => {});
  };
  let phase: 'connect' | 'session' = 'connect';
  try {
    await withTimeout(client.connect(conn.endpoint), conn.timeout * 2, `connecting to ${conn.endpoint}`);
    phase = 'session';
    session = await withTimeout(client.createSession(identity(conn)), conn.timeout, 'creating the session');
  } catch (err) {
    await close();
    const rejected = verdicts.find((v) => !v.good);
    if (rejected) throw untrusted(rejected, pin, o.pkiRoot);
    throw await explainFailure(err, { conn, pkiRoot: o.pkiRoot, serverCertificateAccepted: verdicts.some((v) => v.good), phase });
  }
  client.on('connection_lost', () => lost('connection to the OPC UA server lost'));
  session.on('session_closed', (status: StatusCode) => lost(`session closed by the server (${status.name})`));
  session.on('keepalive_failure', () => lost('session keep-alive failed'));
  const accepted = verdicts.find((v) => v.good);
  return { client, session, serverFingerprint: accepted?.fingerprint, close };
}
