// Turns the ways an OPC UA connect fails into sentences an engineer can act on. node-opcua reports
// most of them as socket trivia ("timeout was 10000 ms" from a web server that answered at once,
// "socket has been disconnected by third party" from a PLC that refused our certificate) or as a
// bare status code; what it means depends on how far the connect got, which the caller knows.
import type { OpcuaConnectionConfig } from '../../config/schema/index.ts';
import { ActionRequiredError } from '../driver.ts';
import { formatFingerprint, ownCertificate, pkiPaths } from './pki.ts';
import { hostPort, sayHello } from './tcp-probe.ts';

export class UntrustedServerError extends ActionRequiredError {
  readonly fingerprint: string;
  constructor(message: string, fingerprint: string) {
    super(message, { fingerprint, command: `lineside opcua trust ${fingerprint}` });
    this.name = 'UntrustedServerError';
    this.fingerprint = fingerprint;
  }
}

export interface Verdict {
  fingerprint: string;
  subject: string;
  good: boolean;
}

export function untrusted(v: Verdict, pin: string | undefined, root: string): UntrustedServerError {
  const fp = formatFingerprint(v.fingerprint);
  if (pin !== undefined) {
    return new UntrustedServerError(`server certificate ${fp} (${v.subject}) does not match the pinned serverCertificateFingerprint ${formatFingerprint(pin)}; refusing to connect`, fp);
  }
  return new UntrustedServerError(
    `server certificate ${fp} (${v.subject}) is not trusted; it was put in ${pkiPaths(root).rejected}. ` +
      `If it is the right server, run: lineside opcua trust ${fp} --config <your config> (the agent retries on its own)`,
    fp,
  );
}

export interface FailureContext {
  conn: OpcuaConnectionConfig;
  pkiRoot: string;
  /** Our own check of the server certificate passed: the connect got as far as the secured channel. */
  serverCertificateAccepted: boolean;
  /** `session`: the channel was open and creating or activating the session failed. */
  phase: 'connect' | 'session';
}

export function noEndpoint(conn: OpcuaConnectionConfig): ActionRequiredError {
  return new ActionRequiredError(
    `the server offers no endpoint with securityMode ${conn.securityMode} and securityPolicy ${conn.securityPolicy}; not falling back to a weaker one ` +
      `(\`lineside opcua endpoints ${conn.endpoint}\` lists what it offers)`,
    { securityMode: conn.securityMode, securityPolicy: conn.securityPolicy },
  );
}

function clientCertificateRefused(c: FailureContext, how: string): ActionRequiredError {
  const own = ownCertificate(c.pkiRoot);
  const which = own ? `${formatFingerprint(own.fingerprint)} (${own.file})` : `in ${pkiPaths(c.pkiRoot).ownCert}`;
  return new ActionRequiredError(
    `the server refused the secured connection (${how}): it probably does not trust Lineside's client certificate ${which}. ` +
      'Trust it on the server: most servers list it among their rejected certificates',
    own ? { clientCertificate: formatFingerprint(own.fingerprint), clientCertificateFile: own.file } : {},
  );
}

/** Failures of the transport itself, before any OPC UA service answered. */
const TRANSPORT = /waiting for data on socket|disconnected by third party|premature|Timeout\(A\)|BadTcp/i;
const DROPPED = /disconnected by third party|premature|ECONNRESET/i;
const HELLO_TIMEOUT_MS = 3000;

export async function explainFailure(err: unknown, c: FailureContext): Promise<Error> {
  const { conn } = c;
  const message = err instanceof Error ? err.message : String(err);
  const { host, port } = hostPort(conn.endpoint);
  const where = `${host}:${port}`;
  if (/cannot find (an )?endpoint|end ?point must exist/i.test(message)) return noEndpoint(conn);
  // A server without an endpoint for this mode may refuse the channel outright instead of listing
  // endpoints; once the channel is open, the same codes are about the user token's policy.
  if (c.phase === 'connect' && /BadSecurityPolicyRejected|BadSecurityModeRejected/.test(message)) return noEndpoint(conn);
  if (/BadIdentityTokenRejected|BadUserAccessDenied|BadIdentityTokenInvalid|BadSecurityPolicyRejected/i.test(message)) {
    return new ActionRequiredError(`the server rejected the user identity (${conn.auth.type}): ${message}`, { auth: conn.auth.type });
  }
  if (conn.securityMode !== 'None' && c.serverCertificateAccepted) {
    const status = /Bad(SecurityChecksFailed|Certificate\w*)/.exec(message)?.[0];
    if (status) return clientCertificateRefused(c, status);
    if (DROPPED.test(message)) return clientCertificateRefused(c, 'it closed the connection when Lineside opened the secured channel');
  }
  // node-opcua spreads this over three lines with advice; /readyz and the log need one.
  const socketError = /(connect|getaddrinfo) (ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)\b[^)\n]*/.exec(message)?.[0];
  if (socketError) return new Error(`cannot reach ${where} (${socketError.trim()}): is the server running, and are host and port right?`);
  // node-opcua words a refused port and a server that hung up the same way at this stage.
  const discovery = /collect server's certificate/.test(message);
  if (discovery || TRANSPORT.test(message)) {
    const wait = Math.min(conn.timeout, HELLO_TIMEOUT_MS);
    const answer = await sayHello(conn.endpoint, wait);
    if (answer.kind === 'other') return new ActionRequiredError(`${where} answered, but it is not an OPC UA server (it sent "${answer.sample}"); check the port in the endpoint`, { answered: answer.sample });
    if (answer.kind === 'closed') return new ActionRequiredError(`${where} accepted the connection and closed it without answering OPC UA's Hello: probably not an OPC UA server (or one that takes no more clients); check the port in the endpoint`);
    if (answer.kind === 'silent') return new ActionRequiredError(`${where} accepted the connection but did not answer OPC UA's Hello within ${wait} ms: probably not an OPC UA server; check the port in the endpoint`);
    if (answer.kind === 'unreachable') return new Error(`cannot reach ${where} (${answer.error}): is the server running, and are host and port right?`);
    if (discovery) {
      return new ActionRequiredError(
        `the server closed the unsecured connection on which Lineside first asks for its endpoints and certificate (GetEndpoints), which a secured connection needs: it may allow no unsecured discovery; check with \`lineside opcua endpoints ${conn.endpoint}\``,
      );
    }
  }
  return err instanceof Error ? err : new Error(message);
}
