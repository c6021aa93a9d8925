// Plain node-opcua servers for what the simulator has no knob for: values with chosen source
// timestamps, a server that checks client certificates as a PLC does, and one that refuses
// unsecured connections even for discovery.
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy, StatusCodes, Variant, type UAVariable } from 'node-opcua';

export interface TestServerOptions {
  pkiDir: string;
  port?: number;
  securityModes?: Array<'None' | 'Sign' | 'SignAndEncrypt'>;
  /** Unknown client certificates are refused (and kept in the server's rejected/), as PLCs do. */
  rejectUnknownClients?: boolean;
  /** No unsecured channel at all, not even for GetEndpoints. */
  disableDiscovery?: boolean;
  /** Double variables ns=1;s={name}. */
  variables?: string[];
}

export interface TestServer {
  endpoint: string;
  port: number;
  fingerprint: string;
  /** Write a value with the source timestamp a PLC would give it. */
  set(name: string, value: number, sourceTimestamp: Date): void;
  /** Client certificates the server refused, as X.509 objects. */
  rejectedClients(): X509Certificate[];
  stop(): Promise<void>;
}

export async function startTestServer(o: TestServerOptions): Promise<TestServer> {
  const cm = new OPCUACertificateManager({ rootFolder: o.pkiDir, automaticallyAcceptUnknownCertificate: !o.rejectUnknownClients, disableFileWatchers: true });
  const modes = { None: MessageSecurityMode.None, Sign: MessageSecurityMode.Sign, SignAndEncrypt: MessageSecurityMode.SignAndEncrypt };
  const server = new OPCUAServer({
    port: o.port ?? 0,
    resourcePath: '',
    serverCertificateManager: cm,
    securityModes: (o.securityModes ?? ['None', 'SignAndEncrypt']).map((m) => modes[m]),
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    ...(o.disableDiscovery ? { disableDiscovery: true } : {}),
  });
  await server.initialize();
  const ns = server.engine.addressSpace!.getOwnNamespace();
  const vars = new Map<string, UAVariable>();
  for (const name of o.variables ?? []) {
    const v = ns.addVariable({ organizedBy: server.engine.addressSpace!.rootFolder.objects, browseName: name, nodeId: `s=${name}`, dataType: DataType.Double, minimumSamplingInterval: 50 });
    v.setValueFromSource(new Variant({ dataType: DataType.Double, value: 0 }), StatusCodes.Good);
    vars.set(name, v);
  }
  await server.start();
  const port = server.endpoints[0]!.port;
  const rejectedDir = join(o.pkiDir, 'rejected');
  return {
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    port,
    fingerprint: new X509Certificate(readFileSync(join(o.pkiDir, 'own', 'certs', 'certificate.pem'))).fingerprint.toUpperCase(),
    set(name, value, sourceTimestamp) {
      vars.get(name)!.setValueFromSource(new Variant({ dataType: DataType.Double, value }), StatusCodes.Good, sourceTimestamp);
    },
    rejectedClients: () => (existsSync(rejectedDir) ? readdirSync(rejectedDir).filter((f) => /\.(pem|der)$/.test(f)).map((f) => new X509Certificate(readFileSync(join(rejectedDir, f)))) : []),
    async stop() {
      await server.shutdown(0);
      await cm.dispose();
    },
  };
}
