// `lineside opcua browse|endpoints|certs|trust`: explore a server and manage which server
// certificates the agent trusts. With --config or --data-dir the PKI folder is the one the running
// agent uses ({dataDir}/drivers/opcua/pki); without, one of the user's own, never the current directory.
import { Command, Option } from 'commander';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { OpcuaConnectionConfig } from '../../config/schema/index.ts';
import type { AgentIdentity } from '../../drivers/driver.ts';
import { opcuaConnectionSchema, SECURITY_MODES, SECURITY_POLICIES } from '../../config/schema/opcua.ts';
import { createLogger } from '../log.ts';
import { loadConfigSectionsOrExit } from './config-arg.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

interface DirOpts {
  config?: string;
  dataDir?: string;
}

/** Where the tools keep a PKI when given no agent's: the XDG state dir ($XDG_STATE_HOME/lineside). */
function userDataDir(): string {
  const base = process.env.XDG_STATE_HOME || (process.platform === 'win32' ? process.env.LOCALAPPDATA : undefined) || join(homedir(), '.local', 'state');
  return join(base, 'lineside');
}

function agentDataDir(o: DirOpts): string {
  if (o.dataDir) return resolve(o.dataDir);
  // Only the agent section: certificates need no broker or device secrets.
  if (o.config) return loadConfigSectionsOrExit(o.config, ['agent']).config.agent.dataDir;
  return userDataDir();
}

/** Who the client certificate names: the agent of --config, else this host. */
function agentIdentity(o: DirOpts): AgentIdentity | undefined {
  if (!o.config) return undefined;
  const { config } = loadConfigSectionsOrExit(o.config, ['agent', 'location']);
  return { id: config.agent.id, location: config.location };
}

function dirOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', "configuration file (its agent.dataDir holds the PKI folder)")
    .option('--data-dir <dir>', `agent data dir instead of --config (default ${userDataDir()})`);
}

async function pkiRootFor(o: DirOpts): Promise<string> {
  const { pkiRoot, driverDirOf } = await import('../../drivers/opcua/pki.ts');
  return pkiRoot(driverDirOf(agentDataDir(o)));
}

/** The flags that name the same PKI folder again, for the commands we print. */
function dirFlags(o: DirOpts): string {
  return o.config ? ` --config ${o.config}` : o.dataDir ? ` --data-dir ${o.dataDir}` : '';
}

/** For verbs that connect: the PKI folder to use, said on stderr when it is not the agent's. */
async function connectPki(o: DirOpts): Promise<string> {
  const root = await pkiRootFor(o);
  if (!o.config && !o.dataDir) process.stderr.write(`PKI folder: ${root} (--config or --data-dir uses an agent's)\n`);
  return root;
}

export function registerOpcua(program: Command): void {
  const opcua = program.command('opcua').description(VERB_HELP.opcua);

  dirOptions(
    opcua
      .command('endpoints')
      .description("list a server's endpoints: security mode and policy, user token types (auth), its certificate")
      .argument('<endpoint>', 'opc.tcp://host:port')
      .option('--json', 'print JSON'),
  ).action(async (endpoint: string, o: DirOpts & { json?: boolean }) => {
    if (!/^opc\.tcp:\/\/\S+$/.test(endpoint)) {
      process.stderr.write('expected an endpoint URL like opc.tcp://host:4840\n');
      process.exit(EXIT.usage);
    }
    const { listEndpoints, formatEndpoints } = await import('../../drivers/opcua/endpoints.ts');
    const agent = agentIdentity(o);
    try {
      const list = await listEndpoints(endpoint, { pkiRoot: await connectPki(o), ...(agent ? { agent } : {}) });
      if (o.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else process.stdout.write(`${formatEndpoints(list).join('\n')}\n`);
    } catch (err) {
      process.stderr.write(`cannot list the endpoints of ${endpoint}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT.unreachable;
    }
    // node-opcua may keep timers alive after disconnect; the command's work is done.
    setImmediate(() => process.exit(process.exitCode ?? EXIT.ok));
  });

  dirOptions(opcua.command('certs').description('list trusted and rejected server certificates and the agent\'s own client certificate'))
    .option('--json', 'print JSON')
    .action(async (o: DirOpts & { json?: boolean }) => {
      const { listCertificates, ownCertificate } = await import('../../drivers/opcua/pki.ts');
      const root = await pkiRootFor(o);
      const certs = listCertificates(root);
      const own = ownCertificate(root);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ pki: root, own: own ?? null, certificates: certs }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`PKI folder: ${root}\n`);
      process.stdout.write(own ? `client certificate: ${own.fingerprint}  ${own.subject}  valid to ${own.validTo}\n` : 'client certificate: not created yet (made on the first connect)\n');
      if (!certs.length) process.stdout.write('no server certificates yet: connect once and an unknown one appears here as rejected\n');
      for (const c of certs) process.stdout.write(`${c.state.padEnd(8)}  ${c.fingerprint}  ${c.subject}  valid to ${c.validTo}\n`);
      const rejected = certs.filter((c) => c.state === 'rejected');
      if (rejected.length) process.stdout.write(`\nto trust one: lineside opcua trust <FINGERPRINT>${dirFlags(o)}\n`);
    });

  dirOptions(opcua.command('trust').description('trust a rejected server certificate by its SHA-1 fingerprint').argument('<fingerprint>', 'as printed by `lineside opcua certs` (colons optional)'))
    .action(async (fingerprint: string, o: DirOpts) => {
      const { trustCertificate } = await import('../../drivers/opcua/pki.ts');
      const result = trustCertificate(await pkiRootFor(o), fingerprint);
      if (!result.ok) {
        process.stderr.write(`${result.reason}\n`);
        process.exit(EXIT.invalidConfig);
      }
      process.stdout.write(result.already ? `already trusted: ${result.cert.fingerprint} ${result.cert.subject}\n` : `trusted: ${result.cert.fingerprint} ${result.cert.subject}\nA running agent picks it up on its next connect attempt.\n`);
    });

  dirOptions(
    opcua
      .command('browse')
      .description('print the address space of a server, optionally as a ready `tags:` config snippet')
      .argument('<endpoint>', 'opc.tcp://host:port')
      .option('--root <nodeId>', 'start node', 'i=85')
      .option('--depth <n>', 'levels below the root', '3')
      .option('--snippet [pattern]', 'print a tags: snippet for the variables (whose browse path matches the pattern)')
      .addOption(new Option('--security-mode <mode>').choices(SECURITY_MODES).default('None'))
      .addOption(new Option('--security-policy <policy>').choices(SECURITY_POLICIES).default('None'))
      .option('--username <name>')
      .option('--password <password>', 'or set LINESIDE_OPCUA_PASSWORD')
      .option('--max-references <n>', 'references per node per response (continuation points fetch the rest)', '1000'),
  ).action(async (endpoint: string, o: DirOpts & { root: string; depth: string; snippet?: string | boolean; securityMode: string; securityPolicy: string; username?: string; password?: string; maxReferences: string }) => {
    const depth = Number(o.depth);
    const maxRefs = Number(o.maxReferences);
    if (!Number.isInteger(depth) || depth < 1 || !Number.isInteger(maxRefs) || maxRefs < 1) {
      process.stderr.write('--depth and --max-references take a positive integer\n');
      process.exit(EXIT.usage);
    }
    const password = o.password ?? process.env.LINESIDE_OPCUA_PASSWORD ?? '';
    const parsed = opcuaConnectionSchema.safeParse({ endpoint, securityMode: o.securityMode, securityPolicy: o.securityPolicy, auth: o.username ? { type: 'username', username: o.username, password } : { type: 'anonymous' } });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) process.stderr.write(`${issue.path.join('.') || 'endpoint'}: ${issue.message}\n`);
      process.exit(EXIT.usage);
    }
    const conn: OpcuaConnectionConfig = parsed.data;
    const { openLink, UntrustedServerError } = await import('../../drivers/opcua/session.ts');
    const { browseTree, configSnippet, formatTree } = await import('../../drivers/opcua/browse.ts');
    const log = createLogger({ level: 'silent' });
    const agent = agentIdentity(o);
    let link;
    try {
      link = await openLink(conn, { pkiRoot: await connectPki(o), log, onLost: () => {}, ...(agent ? { agent } : {}) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // The agent's wording names its config; here the command that trusts it is known exactly.
      const text = err instanceof UntrustedServerError ? message.replace(/ --config <your config>.*$/, `${dirFlags(o)}`) : message;
      process.stderr.write(`cannot connect to ${endpoint}: ${text}\n`);
      process.exit(EXIT.unreachable);
    }
    try {
      const started = Date.now();
      const { root, stats } = await browseTree(link.session, { root: o.root, depth, maxReferencesPerNode: maxRefs });
      if (o.snippet !== undefined && o.snippet !== false) {
        process.stdout.write(`${configSnippet(root, typeof o.snippet === 'string' ? new RegExp(o.snippet) : undefined)}\n`);
      } else {
        process.stdout.write(`${formatTree(root).join('\n')}\n`);
      }
      process.stderr.write(`${stats.nodes} nodes in ${Date.now() - started} ms (${stats.browseRequests} Browse, ${stats.browseNextRequests} BrowseNext, ${stats.readRequests} Read requests)\n`);
    } catch (err) {
      process.stderr.write(`browse failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT.unreachable;
    } finally {
      await link.close();
    }
    // node-opcua may keep timers alive after disconnect; the command's work is done.
    setImmediate(() => process.exit(process.exitCode ?? EXIT.ok));
  });
}
