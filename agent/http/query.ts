// Query parameters of the read API, validated by a schema: every problem is a 400 naming the parameter.
import type { z } from 'zod';
import { E } from '../errors.ts';
import { HttpError, type RequestContext } from './router.ts';

/** Query parameters validated by a schema; every problem is a 400 naming the parameter. */
export function query<T extends z.ZodType>(ctx: RequestContext, schema: T): z.infer<T> {
  const params: Record<string, string> = {};
  for (const [k, v] of ctx.url.searchParams) {
    if (k in params) throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, `${k}: given more than once`);
    params[k] = v;
  }
  const r = schema.safeParse(params);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || '(query)';
    throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, `${where}: ${issue.code === 'unrecognized_keys' ? 'unknown parameter' : issue.message}`);
  }
  return r.data;
}
