// What a server offers: its endpoints (security mode, policy, user token types) from one
// GetEndpoints over an unsecured channel, which servers answer for discovery. This is what to put
// in a machine's `securityMode` / `securityPolicy` / `auth`.
import { X509Certificate } from 'node:crypto';
import { MessageSecurityMode, OPCUAClient, UserTokenType, type EndpointDescription } from 'node-opcua';
import { opcuaConnectionSchema } from '../../config/schema/opcua.ts';
import type { AgentIdentity } from '../driver.ts';
import { explainFailure } from './diagnose.ts';
import { APPLICATION_NAME, applicationUri, createCertificateManager, ensureClientCertificate } from './pki.ts';
import { firstDer } from './session.ts';

export interface EndpointInfo {
  endpointUrl: string;
  securityMode: string;
  /** Short policy name, as `securityPolicy` takes it. */
  securityPolicy: string;
  securityLevel: number;
  /** As `auth.type` names them. */
  userTokens: string[];
  serverCertificate?: { fingerprint: string; subject: string };
}

/** User token types as `auth.type` names them. */
const AUTH_NAMES: Record<number, string> = { [UserTokenType.Anonymous]: 'anonymous', [UserTokenType.UserName]: 'username', [UserTokenType.Certificate]: 'certificate', [UserTokenType.IssuedToken]: 'issued-token' };

function describe(e: EndpointDescription): EndpointInfo {
  const cert = e.serverCertificate && e.serverCertificate.length ? new X509Certificate(firstDer(e.serverCertificate)) : undefined;
  return {
    endpointUrl: e.endpointUrl ?? '',
    securityMode: MessageSecurityMode[e.securityMode] ?? String(e.securityMode),
    securityPolicy: (e.securityPolicyUri ?? '').split('#').pop() || 'None',
    securityLevel: e.securityLevel,
    userTokens: [...new Set((e.userIdentityTokens ?? []).map((t) => AUTH_NAMES[t.tokenType] ?? String(t.tokenType)))],
    ...(cert ? { serverCertificate: { fingerprint: cert.fingerprint.toUpperCase(), subject: cert.subject.replace(/\n/g, ', ') } } : {}),
  };
}

export async function listEndpoints(endpoint: string, o: { pkiRoot: string; agent?: AgentIdentity; timeoutMs?: number }): Promise<EndpointInfo[]> {
  const conn = opcuaConnectionSchema.parse({ endpoint, ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}) });
  const cm = createCertificateManager(o.pkiRoot);
  await ensureClientCertificate(cm, o.pkiRoot, o.agent);
  const client = OPCUAClient.create({
    applicationName: APPLICATION_NAME,
    applicationUri: applicationUri(),
    clientCertificateManager: cm,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0 },
    transportTimeout: conn.timeout,
    defaultTransactionTimeout: conn.timeout,
  });
  try {
    await client.connect(endpoint);
    return (await client.getEndpoints()).map(describe);
  } catch (err) {
    if (/BadSecurityPolicyRejected|BadSecurityModeRejected/.test(String(err))) {
      throw new Error('the server refuses unsecured connections, for discovery (GetEndpoints) too, so it cannot be asked what it offers; ask its operator for the security mode and policy');
    }
    throw await explainFailure(err, { conn, pkiRoot: o.pkiRoot, serverCertificateAccepted: false, phase: 'connect' });
  } finally {
    await client.disconnect().catch(() => {});
  }
}

/** A header and one line per endpoint, the columns named as the config names them. */
export function formatEndpoints(list: EndpointInfo[]): string[] {
  const row = (mode: string, policy: string, level: string, auth: string, url: string) => `${mode.padEnd(15)} ${policy.padEnd(22)} ${level.padEnd(6)} ${auth.padEnd(36)} ${url}`.trimEnd();
  const lines = [row('securityMode', 'securityPolicy', 'level', 'auth.type', 'endpointUrl')];
  for (const e of list) lines.push(row(e.securityMode, e.securityPolicy, String(e.securityLevel), e.userTokens.join(', ') || '-', e.endpointUrl));
  const certs = new Map(list.filter((e) => e.serverCertificate).map((e) => [e.serverCertificate!.fingerprint, e.serverCertificate!.subject]));
  for (const [fp, subject] of certs) lines.push(`server certificate: ${fp}  ${subject}`);
  return lines;
}
