// Generates docs/openapi.yaml (OpenAPI 3.1) from the zod schemas the read API validates with: the
// whole document, the read API's routes and the station's, so it sits beside the composition root.
// Schemas are inlined per response, so a test can validate real responses against the document.
import YAML from 'yaml';
import { z } from 'zod';
import { ERRORS, type ErrorCodeInfo } from '../errors.ts';
import { deadLettersQuery, deadLettersResponse, destinationsResponse } from '../http/destinations-schema.ts';
import { sessionScheme, stationPaths } from '../station/openapi.ts';
import { downtimeResponse, statesResponse, errorResponse, healthResponse, historyQuery, machineDetail, machinesQuery, machinesResponse, oeeQuery, oeeResponse, readyResponse } from '../http/api-schema.ts';

const json = (s: z.ZodType) => {
  const { $schema, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io: 'output' }) as Record<string, unknown>;
  return rest;
};

const content = (s: z.ZodType) => ({ 'application/json': { schema: json(s) } });

const httpCodes = (status: number) =>
  (Object.entries(ERRORS) as Array<[string, ErrorCodeInfo]>).filter(([, i]) => i.status === status).map(([c]) => `\`${c}\``).join(', ');

const error = (status: number, what: string) => ({ [String(status)]: { description: `${what} (${httpCodes(status)}).`, content: content(errorResponse) } });

function queryParams(schema: z.ZodObject): unknown[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const f = field as z.ZodType;
    const { description, ...s } = json(f) as { description?: string };
    return { name, in: 'query', required: !f.safeParse(undefined).success, ...(description ? { description } : {}), schema: s };
  });
}

const auth = { security: [{}, { bearer: [] }, { session: [] }] };

/** A page of a list, with the next page's URL in `Link` as well as its cursor in `next`. */
const page = (description: string, s: z.ZodType) => ({
  description,
  headers: { Link: { description: '`<path?query>; rel="next"` when there is a next page (RFC 8288).', schema: { type: 'string' } } },
  content: content(s),
});

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lineside local HTTP API',
      version: '1.0.0',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      description:
        'Health, readiness, Prometheus metrics, a view of the machines and their history, and the line station (its sessions, reasons and jobs), served by the agent (default `http://127.0.0.1:8710`). ' +
        'With `http.token`, `http.tokens` or `http.users` set (one is required when bound to a non-loopback address) every route but the public ones requires a bearer token or a session cookie; roles viewer < operator < admin, each operation names its least role in `x-lineside-role` (viewer when absent). State-changing requests (POST, DELETE) from a session need its CSRF token in `X-CSRF-Token`. See docs/STATION.md. Errors carry a code from docs/ERRORS.md. ' +
        'Lists come in pages: `limit` items at most (default 100, at most 1000, fewer past 1 MiB), the next page by passing `next` back as `cursor`. ' +
        'Times are ISO 8601 UTC; ratios are unrounded (null when undefined).',
    },
    servers: [{ url: 'http://127.0.0.1:8710' }],
    paths: {
      '/healthz': {
        get: { operationId: 'healthz', summary: 'Liveness: the process is up. Never needs the token.', responses: { 200: { description: 'Alive.', content: content(healthResponse) } } },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Readiness: drivers connected, broker connected, outbox below http.ready thresholds.',
          ...auth,
          responses: { 200: { description: 'Ready.', content: content(readyResponse) }, 503: { description: 'Not ready; `checks` say why.', content: content(readyResponse) }, ...error(401, 'Token missing or wrong') },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics (text exposition format 0.0.4).',
          ...auth,
          responses: { 200: { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } }, ...error(401, 'Token missing or wrong') },
        },
      },
      '/api/v1/machines': {
        get: {
          operationId: 'listMachines',
          summary: 'Every machine with its link, state and running job.',
          ...auth,
          parameters: queryParams(machinesQuery),
          responses: { 200: page('A page of machines.', machinesResponse), ...error(400, 'Invalid query'), ...error(401, 'Token missing or wrong') },
        },
      },
      '/api/v1/machines/{id}': {
        get: {
          operationId: 'getMachine',
          summary: 'One machine: link statistics, latest tag values, state, job and the live OEE of its open periods.',
          ...auth,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Machine id.' }],
          responses: { 200: { description: 'The machine.', content: content(machineDetail) }, ...error(400, 'Malformed path'), ...error(404, 'No such machine'), ...error(401, 'Token missing or wrong') },
        },
      },
      '/api/v1/oee': {
        get: {
          operationId: 'oeeHistory',
          summary: 'Closed OEE periods of a machine that overlap a time window (from the local history, kept history.retention).',
          ...auth,
          parameters: queryParams(oeeQuery),
          responses: { 200: page('A page of periods.', oeeResponse), ...error(400, 'Invalid query'), ...error(404, 'No such machine'), ...error(503, 'History not open'), ...error(401, 'Token missing or wrong') },
        },
      },
      '/api/v1/states': {
        get: {
          operationId: 'stateHistory',
          summary: 'Closed state intervals of a machine that overlap a time window (its state timeline).',
          ...auth,
          parameters: queryParams(historyQuery),
          responses: { 200: page('A page of intervals.', statesResponse), ...error(400, 'Invalid query'), ...error(404, 'No such machine'), ...error(503, 'History not open'), ...error(401, 'Token missing or wrong') },
        },
      },
      '/api/v1/downtime': {
        get: {
          operationId: 'downtimeHistory',
          summary: 'Closed downtime events of a machine that overlap a time window.',
          ...auth,
          parameters: queryParams(historyQuery),
          responses: { 200: page('A page of events.', downtimeResponse), ...error(400, 'Invalid query'), ...error(404, 'No such machine'), ...error(503, 'History not open'), ...error(401, 'Token missing or wrong') },
        },
      },
      '/api/v1/destinations': {
        get: {
          operationId: 'listDestinations',
          summary: 'Every way out (MQTT, webhooks): whether it delivers, what waits for it, how fast it drains (rate, ETA), its last error and its dead letters.',
          ...auth,
          responses: { 200: { description: 'The destinations.', content: content(destinationsResponse) }, ...error(401, 'Token missing or wrong') },
        },
      },
      '/api/v1/destinations/{name}/dead-letters': {
        get: {
          operationId: 'listDeadLetters',
          summary: 'Messages a destination refused for good (e.g. a webhook answering 400), oldest first. `lineside dead-letters resend` sends them again.',
          ...auth,
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Destination name (`mqtt`, `webhook:{name}`).' }, ...queryParams(deadLettersQuery)],
          responses: { 200: page('A page of dead letters.', deadLettersResponse), ...error(400, 'Invalid query'), ...error(404, 'No such destination'), ...error(401, 'Token missing or wrong') },
        },
      },
      ...stationPaths(),
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: '`http.token` (admin) or a token of `http.tokens` (its role). With any token or user configured (required when http.host is not loopback), every route but the public ones (/healthz, the station page and its assets, GET and POST /api/v1/session) needs a token or a session.' },
        session: sessionScheme,
      },
    },
  };
}

export function openApiYaml(): string {
  return `# Generated from agent/http/api-schema.ts by \`npm run gen\`; do not edit.\n${YAML.stringify(openApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
