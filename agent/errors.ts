// The one registry of Lineside's error codes. Config errors, command replies, HTTP errors and log
// lines all take their `LS_…` code from here; docs/ERRORS.md is generated from it, and a test
// fails when a code appears in the source without an entry (or the doc is stale).

/** Where a code shows up: the surface a user or integrator meets it on. */
export type ErrorSurface = 'config' | 'command-reply' | 'http' | 'log';

export interface ErrorCodeInfo {
  /** What went wrong, in one sentence. */
  meaning: string;
  where: readonly ErrorSurface[];
  /** HTTP status when it is an HTTP error; log level when it is a log line. */
  level?: 'error' | 'warn' | 'info';
  status?: number;
  /** What the reader should do about it. */
  action: string;
}

const def = <T extends Record<string, ErrorCodeInfo>>(t: T) => t;

export const ERRORS = def({
  // Configuration
  LS_CONFIG_INVALID: {
    meaning: 'The configuration file is not valid: every problem is listed with file:line:col.',
    where: ['config', 'log'],
    level: 'error',
    action: 'Fix the listed fields; `lineside validate --config FILE` checks a file without starting the agent.',
  },
  // Commands from the MES (the `code` of a rejected command reply)
  LS_CMD_TOO_LARGE: {
    meaning: 'The command payload is larger than the limit (16 KiB); it was not read. (Over `mqtt.maxPacketSize` the broker does not deliver it at all.)',
    where: ['command-reply'],
    action: 'Send a smaller payload; commands are small JSON documents.',
  },
  LS_CMD_BAD_JSON: {
    meaning: 'The command payload is not valid UTF-8 JSON.',
    where: ['command-reply'],
    action: 'Send a JSON object encoded as UTF-8.',
  },
  LS_CMD_INVALID: {
    meaning: 'The JSON does not match the command schema (the reason names the field).',
    where: ['command-reply'],
    action: 'Correct the named field; the command schemas are in docs/asyncapi.yaml.',
  },
  LS_CMD_UNKNOWN_COMMAND: {
    meaning: 'No command of this name exists (known: job, downtime-reason).',
    where: ['command-reply'],
    action: 'Publish to `.../{machine}/cmd/job` or `.../{machine}/cmd/downtime-reason`.',
  },
  LS_CMD_UNKNOWN_MACHINE: {
    meaning: 'This agent has no machine with the id in the topic.',
    where: ['command-reply'],
    action: 'Check the machine id (the topic level before `cmd`) against the agent configuration.',
  },
  LS_CMD_UNAVAILABLE: {
    meaning: 'The machine pipeline that applies commands is not running in this build or state.',
    where: ['command-reply'],
    action: 'Retry once the agent is ready (/readyz); the command was not applied.',
  },
  LS_CMD_FAILED: {
    meaning: 'Applying the command failed inside the agent; it was not applied.',
    where: ['command-reply', 'log'],
    level: 'error',
    action: 'Retry with the same commandId; report the agent log line (a bug).',
  },
  LS_CMD_INVALID_JOB: {
    meaning: 'The job order cannot be started as given (the reason says why).',
    where: ['command-reply'],
    action: 'Correct the order (the reason names the problem) and send it again.',
  },
  LS_CMD_NO_SUCH_JOB: {
    meaning: 'The order to end is not the job running on the machine.',
    where: ['command-reply'],
    action: 'End the order that is running (the reason names it) or none.',
  },
  LS_CMD_UNKNOWN_EVENT: {
    meaning: 'No downtime event with this id on the machine.',
    where: ['command-reply'],
    action: 'Use an `eventId` from the machine\'s `downtime` topic.',
  },
  LS_CMD_UNKNOWN_REASON: {
    meaning: 'The reason code is not in the configured reason catalogue.',
    where: ['command-reply'],
    action: 'Use a code from the machine\'s reason catalogue in the configuration.',
  },
  LS_CMD_ID_REUSED: {
    meaning: 'A command with this `commandId` was already accepted with a different body; this one was not applied.',
    where: ['command-reply'],
    action: 'Give every new command a new `commandId`; resend a command only unchanged (`issuedAt` and `expiresAt` may differ).',
  },
  LS_CMD_EXPIRED: {
    meaning: 'The command arrived after its `expiresAt` (it waited at the broker, e.g. while the agent was down); it was not applied.',
    where: ['command-reply'],
    action: 'Send it again with a new `commandId` if it still applies; check that the sender and agent clocks agree (NTP).',
  },
  LS_CMD_RATE_LIMITED: {
    meaning: 'More commands for this machine than `mqtt.commandRate` / `mqtt.commandBurst` allow; this one was not read or applied.',
    where: ['command-reply', 'log'],
    level: 'warn',
    action: 'Slow the sender down (a loop resending commands?) or raise mqtt.commandRate; send the command again later.',
  },
  LS_CMD_REJECTED: {
    meaning: 'The machine pipeline refused the command for a reason without a code of its own (the reason says why).',
    where: ['command-reply'],
    action: 'Read the reason; correct the command and send it again.',
  },
  // MQTT link
  LS_MQTT_UNREACHABLE: {
    meaning: 'The broker cannot be reached (refused, TLS, credentials); the agent buffers and retries with back-off. Logged once per outage.',
    where: ['log'],
    level: 'warn',
    action: 'Check mqtt.url, TLS files and credentials; nothing is lost while the outbox has room.',
  },
  LS_MQTT_DISCONNECTED: {
    meaning: 'A connection to the broker was lost; the agent buffers in the outbox.',
    where: ['log'],
    level: 'warn',
    action: 'None if it recovers; otherwise check the broker and the network.',
  },
  LS_MQTT_REJECTED: {
    meaning: 'An MQTT 5 broker refused a publish for good (0x87 not authorized, 0x90 topic name invalid, 0x95 packet too large, 0x99 payload format invalid); the message is a dead letter of destination `mqtt` and the stream goes on.',
    where: ['log'],
    level: 'warn',
    action: 'Fix the broker (ACL, limits), then `lineside dead-letters resend --destination mqtt`.',
  },
  LS_MQTT_PUBLISH_FAILED: {
    meaning: 'The broker refused or did not acknowledge a publish; it stays in the outbox and goes again after the next reconnect.',
    where: ['log'],
    level: 'warn',
    action: 'Check the broker\'s ACL for the agent\'s topics and its message size limit.',
  },
  // Webhooks
  LS_WEBHOOK_FAILING: {
    meaning: 'A webhook receiver does not take deliveries (connection refused or reset, TLS, timeout, 408, 429 or 5xx); the agent retries the oldest message with back-off (honouring Retry-After) and keeps the rest in the outbox. Logged once per outage; the recovery is logged too.',
    where: ['log'],
    level: 'warn',
    action: 'Check the receiver, the URL and the TLS settings (the log line has the error); nothing is lost while the outbox has room. The backlog drains paced at replayRate once it answers.',
  },
  LS_WEBHOOK_REJECTED: {
    meaning: 'A webhook receiver refused messages for good (a 3xx or 4xx other than 408 and 429); each is a dead letter of `webhook:{name}` and the stream goes on. Logged at most once a minute per webhook; the line counts the refusals it did not log.',
    where: ['log'],
    level: 'warn',
    action: 'See why with `lineside dead-letters list`; fix the receiver (or the filter), then `lineside dead-letters resend --destination NAME`.',
  },
  LS_WEBHOOK_TLS_INSECURE: {
    meaning: 'A webhook has `tls.insecure: true`: the receiver certificate is not verified.',
    where: ['log'],
    level: 'warn',
    action: 'Configure `tls.ca` with the CA of the receiver certificate and remove `insecure`.',
  },
  // Sparkplug B edge node (an MQTT link of its own)
  LS_MQTT_SPARKPLUG_UNREACHABLE: {
    meaning: 'The Sparkplug edge node has no session with its broker (refused, unreachable, or the connection was lost); Sparkplug data waits in the outbox and goes out with `is_historical = true` once a session is back. Logged once per outage; the recovery is logged too.',
    where: ['log'],
    level: 'warn',
    action: 'Check `sparkplug.url` (default `mqtt.url`), credentials, TLS and the broker\'s ACL for `spBv1.0/#`; nothing is lost while the outbox has room.',
  },
  LS_MQTT_SPARKPLUG_HOST_OFFLINE: {
    meaning: 'The Primary Host Application (`sparkplug.primaryHostId`) is offline, or has not said it is online: the edge node publishes no births and buffers, as Sparkplug 3.0 requires.',
    where: ['log'],
    level: 'warn',
    action: 'Check the host application (Ignition MQTT Engine) and that its Primary Host ID equals `sparkplug.primaryHostId`.',
  },
  LS_MQTT_SPARKPLUG_BAD_COMMAND: {
    meaning: 'An NCMD or DCMD could not be used: not a Sparkplug payload, or a metric that is not a command metric (only `Command/{name}` metrics and `Node Control/Rebirth` are writable). Logged at most once a minute; the line counts the ones it did not log.',
    where: ['log'],
    level: 'warn',
    action: 'Write the JSON command body to `Command/job` or `Command/downtime-reason` (docs/SPARKPLUG.md); the reply appears in `Command/{name}/Reply`.',
  },
  // Outbox
  LS_OUTBOX_DROPPED: {
    meaning: 'A bound of the outbox (buffer.maxBytes, buffer.maxAge, disk full) forced a drop; a drop report went to the MES.',
    where: ['log'],
    level: 'warn',
    action: 'Restore the broker link, or raise the bounds if outages this long are expected.',
  },
  LS_OUTBOX_DISK_FULL: {
    meaning: 'Outbox writes fail because the disk is full; messages are kept in memory and the oldest telemetry is dropped to make room.',
    where: ['log'],
    level: 'error',
    action: 'Free disk space under agent.dataDir.',
  },
  LS_OUTBOX_WRITE_FAILED: {
    meaning: 'Outbox writes fail (an I/O error); messages are kept in memory and retried every tick.',
    where: ['log'],
    level: 'error',
    action: 'Check the disk and the permissions of agent.dataDir.',
  },
  LS_OUTBOX_RECOVERED: {
    meaning: 'Outbox writes work again after a failure.',
    where: ['log'],
    level: 'info',
    action: 'None.',
  },
  LS_OUTBOX_CORRUPT: {
    meaning: 'The outbox database was corrupt; it was moved aside and a fresh one started.',
    where: ['log'],
    level: 'error',
    action: 'The undelivered messages are in the moved file; keep it for inspection.',
  },
  LS_OUTBOX_UNAVAILABLE: {
    meaning: 'The outbox database cannot be opened.',
    where: ['log'],
    level: 'error',
    action: 'Check agent.dataDir (exists, writable, not on a read-only mount).',
  },
  LS_OUTBOX_BAD_EVENT: {
    meaning: 'An event body could not be serialised (a bug upstream); that event is not stored, the others are.',
    where: ['log'],
    level: 'error',
    action: 'Report the log line (a bug).',
  },
  // Local HTTP API
  LS_HTTP_BIND_FAILED: {
    meaning: 'The HTTP API cannot listen on http.host:http.port; the agent runs on and retries.',
    where: ['log'],
    level: 'error',
    action: 'Free the port or change http.port / http.host.',
  },
  LS_HTTP_BAD_REQUEST: {
    meaning: 'The request is malformed: a query parameter or cursor is missing or invalid (the message names it), the path or request target cannot be parsed, or the request is not valid HTTP/1.1.',
    where: ['http'],
    status: 400,
    action: 'Correct the request; docs/openapi.yaml describes every route and parameter.',
  },
  LS_HTTP_UNAUTHORIZED: {
    meaning: 'The bearer token is missing or wrong (required whenever http.token is set, and http.token is required beyond loopback).',
    where: ['http'],
    status: 401,
    action: 'Send `Authorization: Bearer <http.token>`.',
  },
  LS_HTTP_NOT_FOUND: {
    meaning: 'No such route, or no such machine.',
    where: ['http'],
    status: 404,
    action: 'Check the path and the machine id (`/api/v1/machines` lists them).',
  },
  LS_HTTP_METHOD_NOT_ALLOWED: {
    meaning: 'The route exists but not for this method (most routes are GET and HEAD; the station\'s few actions are POST or DELETE); the `Allow` header lists the methods.',
    where: ['http'],
    status: 405,
    action: 'Use a method the `Allow` header lists (docs/openapi.yaml).',
  },
  LS_HTTP_REQUEST_TIMEOUT: {
    meaning: 'The request head did not arrive in time (10 s) or the whole request took too long (30 s); the connection is closed.',
    where: ['http'],
    status: 408,
    action: 'Send the whole request at once; check for a proxy that holds requests back.',
  },
  LS_HTTP_HEADERS_TOO_LARGE: {
    meaning: 'The request head (request line and headers) is larger than 16 KiB; the connection is closed.',
    where: ['http'],
    status: 431,
    action: 'Send fewer or shorter headers (cookies of other sites on the same host are a common cause).',
  },
  LS_HTTP_FORBIDDEN: {
    meaning: 'The caller is known but may not do this: its role is too low (viewer < operator < admin), or a state-changing request from a browser session lacks the CSRF token (`X-CSRF-Token`) or comes from another origin.',
    where: ['http'],
    status: 403,
    action: 'Log in as a user with the role the route needs (docs/openapi.yaml names it); browsers must send the `csrfToken` of `GET /api/v1/session` in `X-CSRF-Token`.',
  },
  LS_HTTP_TOO_MANY_REQUESTS: {
    meaning: 'Too many failed logins from this address or for this user name: the next attempt must wait (`Retry-After`, at most a minute; the wait grows with failures and resets after a success).',
    where: ['http'],
    status: 429,
    action: 'Wait `Retry-After` seconds; check the user name and password.',
  },
  LS_HTTP_PAYLOAD_INVALID: {
    meaning: 'The request body is not a JSON object of the documented shape, is not sent as `application/json`, or is larger than 16 KiB.',
    where: ['http'],
    status: 422,
    action: 'Send the body docs/openapi.yaml documents for the route, with `Content-Type: application/json`.',
  },
  LS_HTTP_COMMAND_REJECTED: {
    meaning: 'A reason or job sent from the line station (or the API) went through the command path and was rejected; `reply` carries the command reply with its LS_CMD_ code.',
    where: ['http'],
    status: 409,
    action: 'Read `reply.code` (docs/ERRORS.md): e.g. a stop that is no longer known, a reason not in the catalogue, a job that is not running.',
  },
  LS_HTTP_PROBE_FAILED: {
    meaning: 'A Modbus probe from the station (POST /api/v1/modbus/probe) got no answer: the link did not open, the unit did not answer in time, or it answered with a Modbus exception (the message says which).',
    where: ['http'],
    status: 502,
    action: 'Check host, port, transport and unit id, as for `lineside modbus read` (docs/MODBUS.md).',
  },
  LS_HTTP_STREAM_FULL: {
    meaning: 'The live stream (`/api/v1/stream`) has as many clients as it serves at once.',
    where: ['http'],
    status: 503,
    action: 'Close other station tabs, or retry later.',
  },
  LS_HTTP_UNAVAILABLE: {
    meaning: 'The data behind the route is not available yet (the agent is starting or stopping).',
    where: ['http'],
    status: 503,
    action: 'Retry in a few seconds.',
  },
  LS_HTTP_INTERNAL: {
    meaning: 'The handler failed inside the agent.',
    where: ['http', 'log'],
    status: 500,
    level: 'error',
    action: 'Report the logged error (a bug).',
  },
});

export type ErrorCode = keyof typeof ERRORS;

/** `E.LS_CMD_INVALID === 'LS_CMD_INVALID'`: references the registry, so a typo is a type error rather than a new code. */
export const E = Object.fromEntries(Object.keys(ERRORS).map((k) => [k, k])) as { readonly [K in ErrorCode]: K };

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** docs/ERRORS.md */
export function errorsMarkdown(): string {
  const groups: Array<[string, string, string]> = [
    ['LS_CONFIG_', 'Configuration', 'Reported by `lineside validate` and by `lineside run` before it starts (exit code 1).'],
    ['LS_CMD_', 'Command replies', 'The `code` of a rejected reply on `.../{machine}/cmd/{name}/reply` (schema `lineside.cmd-reply/1`).'],
    ['LS_MQTT_', 'MQTT link', 'The `code` field of JSON log lines.'],
    ['LS_WEBHOOK_', 'Webhooks', 'The `code` field of JSON log lines.'],
    ['LS_OUTBOX_', 'Outbox', 'The `code` field of JSON log lines.'],
    ['LS_HTTP_', 'Local HTTP API', 'HTTP errors answer `{"error":{"code":"LS_…","message":"…"}}` with the status shown.'],
  ];
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from agent/errors.ts by `npm run gen`; do not edit. -->',
    '',
    'Every error Lineside reports to a person or a system carries one stable `LS_…` code, defined once in',
    '`agent/errors.ts`. Codes are part of the contract: a code is never renamed or reused for another meaning;',
    'new codes may appear (treat an unknown code like its group\'s generic failure).',
    '',
  ];
  for (const [prefix, title, intro] of groups) {
    const codes = (Object.entries(ERRORS) as Array<[string, ErrorCodeInfo]>).filter(([c]) => c.startsWith(prefix));
    lines.push(`## ${title}`, '', intro, '', '| Code | Where | Meaning | What to do |', '| --- | --- | --- | --- |');
    for (const [c, i] of codes) {
      const where = i.where.map((w) => (w === 'http' && i.status ? `http ${i.status}` : w === 'log' && i.level ? `log (${i.level})` : w)).join(', ');
      lines.push(`| \`${c}\` | ${where} | ${cell(i.meaning)} | ${cell(i.action)} |`);
    }
    lines.push('');
  }
  const grouped = new Set(groups.map(([p]) => p));
  const orphan = Object.keys(ERRORS).filter((c) => ![...grouped].some((p) => c.startsWith(p)));
  if (orphan.length) throw new Error(`error codes without a group in errorsMarkdown(): ${orphan.join(', ')}`);
  return lines.join('\n');
}
