// The station's routes in docs/openapi.yaml (merged by agent/app/openapi.ts). Each operation
// names the least role it needs (`x-lineside-role`); POST and DELETE from a cookie session need
// the session's CSRF token in `X-CSRF-Token`.
import { z } from 'zod';
import { errorResponse } from '../http/api-schema.ts';
import { ERRORS, type ErrorCodeInfo } from '../errors.ts';
import { certificateResponse, certificatesResponse } from './opcua-routes.ts';
import { probeRequest, probeResponse } from './modbus-routes.ts';
import { auditResponse, commandRejected, commandResponse, jobRequest, jobsResponse, lineResponse, listQuery, loginRequest, openStopsResponse, reasonRequest, reasonsResponse, sessionResponse } from './schema.ts';

const json = (s: z.ZodType, io: 'input' | 'output' = 'output') => {
  const { $schema, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io }) as Record<string, unknown>;
  return rest;
};
const content = (s: z.ZodType) => ({ 'application/json': { schema: json(s) } });
const codes = (status: number) => (Object.entries(ERRORS) as Array<[string, ErrorCodeInfo]>).filter(([, i]) => i.status === status).map(([c]) => `\`${c}\``).join(', ');
const error = (status: number, what: string) => ({ [String(status)]: { description: `${what} (${codes(status)}).`, content: content(errorResponse) } });
const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(s, 'input') } } });

const security = [{ bearer: [] }, { session: [] }];
const csrf = { name: 'X-CSRF-Token', in: 'header', required: false, description: 'Required with a cookie session: its `csrfToken` (GET /api/v1/session). Not needed with a bearer token.', schema: { type: 'string' } };
const machineParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Machine id.' };
const role = (r: 'viewer' | 'operator' | 'admin') => ({ 'x-lineside-role': r, security });
const denied = { ...error(401, 'Not logged in, or token wrong'), ...error(403, 'Role too low, or CSRF token missing or wrong, or another Origin') };

function listParams(): unknown[] {
  return Object.entries(listQuery.shape).map(([name, f]) => {
    const { description, ...s } = json(f as z.ZodType, 'input') as { description?: string };
    return { name, in: 'query', required: false, ...(description ? { description } : {}), schema: s };
  });
}

const page = { 200: { description: 'The station page (HTML); it loads its assets from /assets/.', content: { 'text/html': { schema: { type: 'string' } } } } };

export function stationPaths(): Record<string, unknown> {
  return {
    '/': { get: { operationId: 'stationPage', summary: 'The line station (needs http.station). Public: it holds no data, only the login form and the code that calls this API.', responses: page } },
    '/assets/{file}': {
      get: {
        operationId: 'stationAsset',
        summary: 'A script, style sheet or image of the station page, shipped with the agent. ETag and short caching; strict Content-Security-Policy.',
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The asset.', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } }, 304: { description: 'Not modified (If-None-Match).' }, ...error(404, 'No such asset') },
      },
    },
    '/api/v1/session': {
      get: {
        operationId: 'getSession',
        summary: 'Who is calling, with the CSRF token of the session. Not logged in: every field null. On loopback with no users or tokens configured this starts a session as `local` (admin).',
        responses: { 200: { description: 'The caller.', content: content(sessionResponse) } },
      },
      post: {
        operationId: 'logIn',
        summary: 'Log in with a user of `http.users`: sets the HttpOnly, SameSite=Strict session cookie. Failed logins slow down per address and per user name (429 with Retry-After). Audited.',
        requestBody: body(loginRequest),
        responses: { 200: { description: 'Logged in; `Set-Cookie` carries the session.', content: content(sessionResponse) }, ...error(401, 'Wrong user name or password'), ...error(403, 'Another Origin'), ...error(422, 'Malformed body'), ...error(429, 'Too many failed logins') },
      },
      delete: {
        operationId: 'logOut',
        summary: 'End the session (its live streams close). Audited.',
        ...role('viewer'),
        parameters: [csrf],
        responses: { 200: { description: 'Logged out; the cookie is cleared.', content: content(sessionResponse) }, ...denied },
      },
    },
    '/api/v1/line': {
      get: { operationId: 'getLine', summary: 'Every machine as a line-view tile: state and since when, the open stop and its reason, the job with good/reject against its target, live OEE (A, P, Q) of the shift.', ...role('viewer'), responses: { 200: { description: 'The tiles.', content: content(lineResponse) }, ...denied } },
    },
    '/api/v1/stream': {
      get: {
        operationId: 'streamLine',
        summary:
          'Server-sent events of the line view: `resync` (data: every tile, as GET /api/v1/line) first and after the client fell behind, then `tiles` (data: `{at, machines}` with the tiles that changed), checked every 250 ms. A client that does not read is not buffered for: it gets a resync once it drained. Closes when the session ends.',
        ...role('viewer'),
        responses: { 200: { description: 'The event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...denied, 503: { description: `Too many streams at once (\`LS_HTTP_STREAM_FULL\`).`, content: content(errorResponse) } },
      },
    },
    '/api/v1/reasons': {
      get: { operationId: 'listReasons', summary: 'The downtime reason catalogue.', ...role('viewer'), responses: { 200: { description: 'The reasons.', content: content(reasonsResponse) }, ...denied } },
    },
    '/api/v1/machines/{id}/stops': {
      get: { operationId: 'listStops', summary: 'The stops a reason can be given to: the open one and the recent ones the pipeline still holds.', ...role('viewer'), parameters: [machineParam], responses: { 200: { description: 'The stops.', content: content(openStopsResponse) }, ...denied, ...error(404, 'No such machine') } },
    },
    '/api/v1/machines/{id}/downtime-reason': {
      post: {
        operationId: 'assignDowntimeReason',
        summary: 'Assign a reason to a stop, through the same command path as `cmd/downtime-reason` over MQTT (validation, exactly once per commandId, a new revision of a closed period). `by` is the caller. Audited.',
        ...role('operator'),
        parameters: [machineParam, csrf],
        requestBody: body(reasonRequest),
        responses: { 200: { description: 'Accepted (or a repeat of an accepted commandId).', content: content(commandResponse) }, ...denied, ...error(404, 'No such machine'), 409: { description: `Rejected by the command path (\`LS_HTTP_COMMAND_REJECTED\`; \`reply.code\` says why).`, content: content(commandRejected) }, ...error(422, 'Malformed body') },
      },
    },
    '/api/v1/machines/{id}/job': {
      post: {
        operationId: 'jobCommand',
        summary: 'Start or end a job order, through the same command path as `cmd/job` over MQTT. Audited.',
        ...role('operator'),
        parameters: [machineParam, csrf],
        requestBody: body(jobRequest),
        responses: { 200: { description: 'Accepted.', content: content(commandResponse) }, ...denied, ...error(404, 'No such machine'), 409: { description: `Rejected by the command path (\`LS_HTTP_COMMAND_REJECTED\`).`, content: content(commandRejected) }, ...error(422, 'Malformed body') },
      },
    },
    '/api/v1/jobs': {
      get: { operationId: 'listJobOrders', summary: 'Job orders the agent accepted, newest first: from the ERP/MES over MQTT and from the station.', ...role('viewer'), parameters: listParams(), responses: { 200: { description: 'Job orders.', content: content(jobsResponse) }, ...error(400, 'Invalid query'), ...denied, ...error(503, 'Station store not open') } },
    },
    '/api/v1/opcua/certificates': {
      get: { operationId: 'listOpcuaCertificates', summary: 'OPC UA server certificates: those waiting for trust (`rejected`: node-opcua files an unknown server\'s certificate there) and the trusted ones. Empty without OPC UA machines. As `lineside opcua certs`.', ...role('admin'), responses: { 200: { description: 'The certificates.', content: content(certificatesResponse) }, ...denied } },
    },
    '/api/v1/opcua/certificates/{fingerprint}/trust': {
      post: { operationId: 'trustOpcuaCertificate', summary: 'Trust a server certificate (the agent connects on its next attempt). As `lineside opcua trust`. Audited.', ...role('admin'), parameters: [{ name: 'fingerprint', in: 'path', required: true, schema: { type: 'string' }, description: 'SHA-1 fingerprint (colons optional).' }, csrf], responses: { 200: { description: 'Trusted.', content: content(certificateResponse) }, ...denied, ...error(404, 'No such certificate, or no OPC UA machine') } },
    },
    '/api/v1/opcua/certificates/{fingerprint}/reject': {
      post: { operationId: 'rejectOpcuaCertificate', summary: 'Reject a server certificate: one waiting stays refused, a trusted one loses its trust (the agent stops connecting on its next attempt). Audited.', ...role('admin'), parameters: [{ name: 'fingerprint', in: 'path', required: true, schema: { type: 'string' }, description: 'SHA-1 fingerprint (colons optional).' }, csrf], responses: { 200: { description: 'Rejected.', content: content(certificateResponse) }, ...denied, ...error(404, 'No such certificate, or no OPC UA machine') } },
    },
    '/api/v1/modbus/probe': {
      post: {
        operationId: 'modbusProbe',
        summary: 'Read registers or bits of a Modbus TCP (or RTU over TCP) device and decode them as every type in every byte order, as `lineside modbus read --json`. A device the agent polls is read over its link. Audited.',
        ...role('admin'),
        parameters: [csrf],
        requestBody: body(probeRequest),
        responses: { 200: { description: 'What the device answered.', content: content(probeResponse) }, ...denied, ...error(422, 'Malformed body'), ...error(502, 'The device did not answer, or answered with an exception') },
      },
    },
    '/api/v1/audit': {
      get: { operationId: 'listAudit', summary: 'The audit log (logins, logouts, reasons, jobs: who, what, when, outcome), newest first. Each record is also published as `lineside.audit/1`.', ...role('admin'), parameters: listParams(), responses: { 200: { description: 'Audit records.', content: content(auditResponse) }, ...error(400, 'Invalid query'), ...denied, ...error(503, 'Station store not open') } },
    },
  };
}

export const sessionScheme = { type: 'apiKey', in: 'cookie', name: 'lineside_session', description: 'Session of a user of `http.users` (POST /api/v1/session). POST and DELETE also need `X-CSRF-Token`.' };
