// An OPC UA server backed by the shared SimMachine model: what `lineside simulate` serves and
// what the OPC UA tests and bench run against. Node ids are stable strings in namespace 2
// (ns=2;s=Machine.PartCount, ...), like a PLC's symbolic tags.
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
  type UAVariable,
} from 'node-opcua';
import { SimMachine, type SimSettings, type SimSnapshot } from './model.ts';

export const SIM_NAMESPACE_URI = 'urn:lineside:sim';

/** Browse name and data type of each model field, in the order the model lists them. */
export const SIM_OPCUA_VARIABLES: ReadonlyArray<{ field: keyof SimSnapshot; name: string; dataType: DataType }> = [
  { field: 'running', name: 'Running', dataType: DataType.Boolean },
  { field: 'partCount', name: 'PartCount', dataType: DataType.UInt32 },
  { field: 'rejectCount', name: 'RejectCount', dataType: DataType.UInt32 },
  { field: 'faultCode', name: 'FaultCode', dataType: DataType.UInt16 },
  { field: 'speed', name: 'Speed', dataType: DataType.Double },
  { field: 'mode', name: 'Mode', dataType: DataType.UInt16 },
];

export interface OpcuaSimulatorOptions {
  /** TCP port; 0 picks a free one (read it back from `port`). */
  port?: number;
  host?: string;
  /** PKI folder of the server; keep it to keep the server certificate across restarts. */
  pkiDir?: string;
  /** Users accepted for username/password identity. Anonymous stays allowed unless `allowAnonymous: false`. */
  users?: Array<{ username: string; password: string }>;
  allowAnonymous?: boolean;
  /** PEM files of X.509 user certificates the server accepts as user identities (others are refused). */
  userCertificates?: string[];
  /**
   * Endpoints offered. Default: None, plus Sign and SignAndEncrypt with Basic256Sha256,
   * Aes128_Sha256_RsaOaep and Aes256_Sha256_RsaPss.
   */
  securityModes?: Array<'None' | 'Sign' | 'SignAndEncrypt'>;
  securityPolicies?: Array<'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss'>;
  /** Server operation limit; 0 = unlimited. A small value exercises the client's read split. */
  maxNodesPerRead?: number;
  /** Extra changing Double variables ns=2;s=Load.{i} for load tests and browse tests. */
  extraVariables?: number;
  /** Model settings; defaults to a 1 s cycle that faults now and then. */
  sim?: Partial<SimSettings>;
  /** Clock of the model (ms). Tests inject a manual one and call `update()`. */
  now?: () => number;
  /** How often the model is advanced and changed values are written (ms); 0 disables the timer. */
  tickMs?: number;
}

export interface OpcuaSimulator {
  readonly port: number;
  readonly endpoint: string;
  readonly model: SimMachine;
  /** SHA-1 fingerprint of the server certificate (what `lineside opcua certs` shows). */
  readonly fingerprint: string;
  /** Advance the model to `now()` and publish what changed. */
  update(): void;
  /** Current values as the server holds them. */
  snapshot(): SimSnapshot;
  /** Add a Double variable ns=2;s={name} at runtime (a PLC download that brings a tag back). */
  addVariable(name: string, value: number): void;
  /** Delete every subscription on the server without telling the clients (a server that silently lost them). */
  dropSubscriptions(): number;
  stop(): Promise<void>;
}

const DEFAULT_SIM: SimSettings = {
  seed: 1,
  cycleTime: 1000,
  rejectRate: 0.02,
  faultsPerHour: 2,
  meanFaultDuration: 180_000,
  changeoversPerHour: 0.25,
  microStopsPerHour: 6,
  counterWidth: 32,
};

const MODES: Record<string, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};
const POLICIES: Record<string, SecurityPolicy> = {
  None: SecurityPolicy.None,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
  Aes256_Sha256_RsaPss: SecurityPolicy.Aes256_Sha256_RsaPss,
};

export async function startOpcuaSimulator(o: OpcuaSimulatorOptions = {}): Promise<OpcuaSimulator> {
  const now = o.now ?? Date.now;
  const pkiDir = o.pkiDir ?? join(tmpdir(), 'lineside-opcua-sim-pki');
  mkdirSync(pkiDir, { recursive: true });
  // A simulator accepts any client certificate: it stands in for a PLC whose operator
  // already trusted the agent. The client side is where trust is enforced.
  const serverCertificateManager = new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  const users = o.users ?? [];
  // User certificates have their own trust list, separate from application certificates.
  const userCertificateManager = new OPCUACertificateManager({ rootFolder: join(pkiDir, 'user-pki'), automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await userCertificateManager.initialize();
  for (const file of o.userCertificates ?? []) await userCertificateManager.trustCertificate(new X509Certificate(readFileSync(file)).raw);
  const server = new OPCUAServer({
    port: o.port ?? 0,
    ...(o.host ? { host: o.host } : {}),
    resourcePath: '',
    serverCertificateManager,
    userCertificateManager,
    securityModes: (o.securityModes ?? ['None', 'Sign', 'SignAndEncrypt']).map((m) => MODES[m]!),
    securityPolicies: (o.securityPolicies ?? ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']).map((p) => POLICIES[p]!),
    allowAnonymous: o.allowAnonymous ?? true,
    userManager: { isValidUser: (username: string, password: string) => users.some((u) => u.username === username && u.password === password) },
    buildInfo: { productName: 'Lineside OPC UA simulator', manufacturerName: 'Lineside' },
    serverCapabilities: { maxSessions: 200, operationLimits: { maxNodesPerRead: o.maxNodesPerRead ?? 0, maxMonitoredItemsPerCall: 0 } },
    maxConnectionsPerEndpoint: 200,
  });
  await server.initialize();

  const model = new SimMachine({ ...DEFAULT_SIM, ...o.sim }, now());
  let current = model.advance(now());
  const addressSpace = server.engine.addressSpace!;
  const ns = addressSpace.registerNamespace(SIM_NAMESPACE_URI);
  const machine = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Machine', nodeId: 's=Machine' });
  const vars = new Map<keyof SimSnapshot, UAVariable>();
  for (const v of SIM_OPCUA_VARIABLES) {
    const uaVar = ns.addVariable({ componentOf: machine, browseName: v.name, nodeId: `s=Machine.${v.name}`, dataType: v.dataType, minimumSamplingInterval: 50 });
    uaVar.setValueFromSource(new Variant({ dataType: v.dataType, value: current[v.field] }), StatusCodes.Good);
    vars.set(v.field, uaVar);
  }
  const load: UAVariable[] = [];
  if (o.extraVariables) {
    const folder = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Load', nodeId: 's=Load' });
    for (let i = 0; i < o.extraVariables; i++) {
      const uaVar = ns.addVariable({ componentOf: folder, browseName: `L${i}`, nodeId: `s=Load.${i}`, dataType: DataType.Double, minimumSamplingInterval: 50 });
      uaVar.setValueFromSource(new Variant({ dataType: DataType.Double, value: 0 }), StatusCodes.Good);
      load.push(uaVar);
    }
  }

  let loadTick = 0;
  const update = () => {
    const next = model.advance(now());
    for (const v of SIM_OPCUA_VARIABLES) {
      if (next[v.field] !== current[v.field]) vars.get(v.field)!.setValueFromSource(new Variant({ dataType: v.dataType, value: next[v.field] }), StatusCodes.Good);
    }
    current = next;
    loadTick++;
    for (let i = 0; i < load.length; i++) load[i]!.setValueFromSource(new Variant({ dataType: DataType.Double, value: loadTick + i / 1e6 }), StatusCodes.Good);
  };

  await server.start();
  const tickMs = o.tickMs ?? 100;
  const timer = tickMs > 0 ? setInterval(update, tickMs) : undefined;
  const port = server.endpoints[0]!.port;
  return {
    port,
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    model,
    fingerprint: new X509Certificate(readFileSync(join(pkiDir, 'own', 'certs', 'certificate.pem'))).fingerprint.toUpperCase(),
    update,
    snapshot: () => ({ ...current }),
    addVariable(name, value) {
      const v = ns.addVariable({ organizedBy: addressSpace.rootFolder.objects, browseName: name, nodeId: `s=${name}`, dataType: DataType.Double, minimumSamplingInterval: 50 });
      v.setValueFromSource(new Variant({ dataType: DataType.Double, value }), StatusCodes.Good);
    },
    dropSubscriptions() {
      let n = 0;
      for (const session of server.engine.getSessions()) {
        for (const sub of [...session.publishEngine.subscriptions]) if (session.deleteSubscription(sub.id).isGood()) n++;
      }
      return n;
    },
    async stop() {
      if (timer) clearInterval(timer);
      await server.shutdown(0);
      await serverCertificateManager.dispose();
      await userCertificateManager.dispose();
    },
  };
}
