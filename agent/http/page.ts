// Pages of the read API's lists. A list answers at most `limit` items and stops earlier when the
// items pass MAX_PAGE_BYTES, so no reply grows with the history (one once answered 10 MB). The
// cursor is opaque to clients: base64url JSON of the last item's sort key, so the next page
// continues after it (keyset paging: stable while rows are added, no OFFSET scans).
import { z } from 'zod';
import { E } from '../errors.ts';
import { HttpError } from './router.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Serialised size of a page's items past which it ends early (the next page has the rest). */
export const MAX_PAGE_BYTES = 1024 * 1024;

export const pageParams = {
  limit: z.coerce
    .number({ error: 'expected an integer from 1 to 1000' })
    .int({ error: 'expected an integer from 1 to 1000' })
    .min(1, { error: 'expected an integer from 1 to 1000' })
    .max(MAX_LIMIT, { error: 'expected an integer from 1 to 1000' })
    .default(DEFAULT_LIMIT)
    .describe(`Items per page (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}; a page also ends early past ${MAX_PAGE_BYTES / 1024 / 1024} MiB of items).`),
  cursor: z.string().max(1024).optional().describe('`next` of the previous page; omit for the first page.'),
};

export const nextField = z.string().nullable().describe('Cursor of the next page (pass it as `cursor`, with the same other parameters); null on the last page. The `Link` header (rel="next") has the whole URL.');

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key a cursor carries; anything this API did not give out is a 400. */
export function decodeCursor<T>(cursor: string | undefined, key: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const r = key.safeParse(parsed);
  if (!r.success) throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, 'cursor: not a cursor from this API (use `next` of the previous page)');
  return r.data;
}

export interface Page<B> {
  items: B[];
  /** Cursor after the last item, when more may follow. */
  next: string | null;
}

/**
 * The page from `rows`, which holds up to limit + 1 candidates in order (one more than the page
 * tells whether another follows). `keyOf` gives the sort key the next page continues after.
 */
export function fillPage<R, B>(rows: readonly R[], limit: number, bodyOf: (r: R) => B, keyOf: (r: R) => unknown): Page<B> {
  const items: B[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (items.length === limit) break;
    const body = bodyOf(row);
    bytes += Buffer.byteLength(JSON.stringify(body));
    // At least one item per page, however large, or paging could never move on.
    if (items.length > 0 && bytes > MAX_PAGE_BYTES) break;
    items.push(body);
  }
  const more = items.length < rows.length;
  return { items, next: more ? encodeCursor(keyOf(rows[items.length - 1]!)) : null };
}

/**
 * `Link: <path?query>; rel="next"` (RFC 8288) for a page that has a next one. `path` is the
 * route's own, not the request's, which may be spelled `//api/...` and would read as a host.
 */
export function linkHeader(path: string, url: URL, next: string | null): Record<string, string> {
  if (next === null) return {};
  const params = new URLSearchParams(url.searchParams);
  params.set('cursor', next);
  return { link: `<${path}?${params}>; rel="next"` };
}
