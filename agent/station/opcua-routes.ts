// OPC UA server certificates in the commissioning view (admin): the ones waiting for trust
// (node-opcua puts an unknown server's certificate in `rejected/`), trusting one, and taking
// trust back. The same PKI folder and rules as `lineside opcua certs|trust`. The OPC UA stack is
// imported only when asked, and only when a machine uses OPC UA.
import { mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { E } from '../errors.ts';
import { HttpError, type Router } from '../http/router.ts';
import type { Station } from './station.ts';

export const certificatesResponse = z.strictObject({
  certificates: z.array(
    z.strictObject({
      state: z.enum(['trusted', 'rejected']).describe('`rejected`: waiting for an admin (or refused); `trusted`: the agent connects to it.'),
      fingerprint: z.string().describe('SHA-1, upper-case hex with colons.'),
      subject: z.string(),
      validTo: z.string(),
    }),
  ),
});

export const certificateResponse = z.strictObject({ state: z.enum(['trusted', 'rejected']), fingerprint: z.string(), subject: z.string(), changed: z.boolean() });

export function registerOpcuaRoutes(router: Router, st: Station): void {
  const used = st.o.config.machines.some((m) => m.driver === 'opcua');
  const pki = async () => {
    const m = await import('../../drivers/opcua/pki.ts');
    return { m, root: m.pkiRoot(m.driverDirOf(st.o.config.agent.dataDir)) };
  };
  const find = async (fingerprint: string) => {
    const { m, root } = await pki();
    const want = m.normaliseFingerprint(fingerprint);
    const cert = m.listCertificates(root).find((c) => m.normaliseFingerprint(c.fingerprint) === want);
    if (!cert) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, `no server certificate ${fingerprint.slice(0, 64)}`);
    return { m, root, cert };
  };
  const act = (to: 'trusted' | 'rejected') => async (ctx: Parameters<Parameters<Router['post']>[1]>[0]) => {
    if (!used) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, 'no OPC UA machine on this agent');
    const { m, root, cert } = await find(ctx.params.fingerprint!);
    const changed = cert.state !== to;
    if (changed) {
      const p = m.pkiPaths(root);
      const dir = to === 'trusted' ? p.trusted : p.rejected;
      mkdirSync(dir, { recursive: true });
      renameSync(cert.file, join(dir, basename(cert.file)));
    }
    st.audit(ctx.principal!, to === 'trusted' ? 'opcua-trust' : 'opcua-reject', null, 'ok', { fingerprint: cert.fingerprint, subject: cert.subject, changed });
    return { status: 200, body: { state: to, fingerprint: m.formatFingerprint(cert.fingerprint), subject: cert.subject, changed } };
  };
  router
    .get('/api/v1/opcua/certificates', async () => {
      if (!used) return { status: 200, body: { certificates: [] } };
      const { m, root } = await pki();
      return { status: 200, body: { certificates: m.listCertificates(root).map((c) => ({ state: c.state, fingerprint: m.formatFingerprint(c.fingerprint), subject: c.subject, validTo: c.validTo })) } };
    }, { role: 'admin' })
    .post('/api/v1/opcua/certificates/{fingerprint}/trust', act('trusted'), { role: 'admin' })
    .post('/api/v1/opcua/certificates/{fingerprint}/reject', act('rejected'), { role: 'admin' });
}
