// OPC UA connection, security and node tags of one machine.
import { z } from 'zod';
import { secret } from './secret.ts';
import { duration, int, num, text, topicLevel } from './units.ts';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

const authSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('anonymous') }),
    z.strictObject({
      type: z.literal('username'),
      username: text().describe('User name.'),
      password: secret(z.string({ error: 'expected a string' })).describe('Password; use ${VAR} or ${file:...}.'),
    }),
    z.strictObject({
      type: z.literal('certificate'),
      cert: text('a file path').describe('PEM user certificate.'),
      key: text('a file path').describe('PEM private key of the user certificate.'),
    }),
  ],
  { error: 'expected type anonymous | username | certificate' },
);

const fingerprint = z
  .string({ error: 'expected a SHA-1 fingerprint as 40 hex digits (colons allowed)' })
  .regex(/^([0-9a-fA-F]{2}:?){19}[0-9a-fA-F]{2}$/, { error: 'expected a SHA-1 fingerprint as 40 hex digits (colons allowed)' });

export const opcuaConnectionSchema = z
  .strictObject({
    endpoint: z.string({ error: 'expected an endpoint URL like opc.tcp://host:4840' }).regex(/^opc\.tcp:\/\/[^\s]+$/, { error: 'expected an endpoint URL like opc.tcp://host:4840' }).describe('Server endpoint URL.'),
    securityMode: z.enum(SECURITY_MODES, { error: `expected one of ${SECURITY_MODES.join(' | ')}` }).prefault('None').describe('Message security. Never silently weakened: if the server offers no matching endpoint, connecting fails.'),
    securityPolicy: z.enum(SECURITY_POLICIES, { error: `expected one of ${SECURITY_POLICIES.join(' | ')}` }).prefault('None').describe('Security policy for Sign / SignAndEncrypt.'),
    auth: authSchema.prefault({ type: 'anonymous' }).describe('User identity: anonymous, username/password, or an X.509 user certificate.'),
    serverCertificateFingerprint: fingerprint.optional().describe('Pin the server certificate: only this SHA-1 fingerprint is accepted, trusted or not.'),
    mode: z.enum(['subscribe', 'poll'], { error: 'expected subscribe | poll' }).prefault('subscribe').describe('`subscribe` (monitored items, report by exception) or `poll` (batched Read every pollInterval).'),
    publishingInterval: duration({ min: '10ms', max: '1h' }).prefault('1s').describe('Subscription publishing interval.'),
    samplingInterval: duration({ max: '1h' }).prefault('500ms').describe('Default sampling interval of monitored items.'),
    queueSize: int(1, 10_000).prefault(10).describe('Default monitored item queue size.'),
    maxItemsPerSubscription: int(1, 100_000).prefault(1000).describe('Monitored items per subscription before another is created.'),
    keepAliveCount: int(1, 1000).prefault(10).describe('Publishing intervals without data before the server sends a keep-alive.'),
    sessionTimeout: duration({ min: '1s', max: '1h' }).prefault('60s').describe('Requested session timeout.'),
    timeout: duration({ min: '100ms', max: '5m' }).prefault('10s').describe('Timeout of one request and of connecting.'),
    timestamps: z.enum(['source', 'receive'], { error: 'expected source | receive' }).prefault('source').describe("A reading's time: `source`, the server's SourceTimestamp (when the value changed) while its clock is within maxClockSkew; `receive`, always when the agent received it (the SourceTimestamp is still kept as sourceTs)."),
    maxClockSkew: duration({ min: '1s', max: '7d' }).prefault('5m').describe("How far the server's clock may be from the agent's for readings to carry the server's SourceTimestamp; beyond it they carry the receive time, and the far-off clock is logged once."),
  })
  .superRefine((c, ctx) => {
    if (c.securityMode === 'None' && c.securityPolicy !== 'None') ctx.addIssue({ code: 'custom', path: ['securityPolicy'], message: `expected None when securityMode is None, got "${c.securityPolicy}"` });
    if (c.securityMode === 'None' && c.serverCertificateFingerprint !== undefined) ctx.addIssue({ code: 'custom', path: ['serverCertificateFingerprint'], message: 'a pinned fingerprint needs securityMode Sign or SignAndEncrypt (with None no certificate is checked)' });
    if (c.securityMode !== 'None' && c.securityPolicy === 'None') ctx.addIssue({ code: 'custom', path: ['securityPolicy'], message: `expected a policy (Basic256Sha256 | Aes128_Sha256_RsaOaep | Aes256_Sha256_RsaPss) for securityMode ${c.securityMode}` });
  })
  .describe('How to reach the OPC UA server.');

export const opcuaTagSchema = z.strictObject({
  name: topicLevel('a tag name').describe('Tag name used by signals and in telemetry.'),
  nodeId: z.string({ error: 'expected a node id like ns=2;s=Machine.PartCount' }).regex(/^(nsu=[^;]+;|ns=\d+;)?[isgb]=.+$/, { error: 'expected a node id like ns=2;s=Machine.PartCount' }).describe('Node id of the variable.'),
  samplingInterval: duration({ max: '1h' }).optional().describe('Overrides the connection samplingInterval.'),
  queueSize: int(1, 10_000).optional().describe('Overrides the connection queueSize.'),
  deadband: z
    .strictObject({
      type: z.enum(['absolute', 'percent'], { error: 'expected absolute | percent' }).describe('Absolute units or percent of the EURange.'),
      value: num({ min: 0 }).describe('Deadband size.'),
    })
    .optional()
    .describe('Data change filter: report only changes larger than this.'),
});

export type OpcuaConnectionConfig = z.output<typeof opcuaConnectionSchema>;
export type OpcuaTagConfig = z.output<typeof opcuaTagSchema>;
