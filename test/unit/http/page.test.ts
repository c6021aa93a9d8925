import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { decodeCursor, encodeCursor, fillPage, linkHeader, MAX_PAGE_BYTES } from '../../../agent/http/page.ts';
import { HttpError } from '../../../agent/http/router.ts';

const key = z.tuple([z.number().int(), z.string()]);
const rows = (n: number, bytes: number) => Array.from({ length: n }, (_, i) => ({ start: i, id: `r${i}`, body: { data: 'x'.repeat(bytes) } }));
const page = (r: ReturnType<typeof rows>, limit: number) => fillPage(r, limit, (x) => x.body, (x) => [x.start, x.id]);

describe('pages of the read API', () => {
  it('takes `limit` rows and a cursor after the last when one more row follows', () => {
    const p = page(rows(6, 10), 5);
    assert.equal(p.items.length, 5);
    assert.deepEqual(decodeCursor(p.next!, key), [4, 'r4']);
    assert.equal(page(rows(5, 10), 5).next, null, 'no cursor when nothing follows');
  });

  it('ends a page early once its items pass MAX_PAGE_BYTES, but never with no item', () => {
    const third = Math.floor(MAX_PAGE_BYTES / 3.5);
    const p = page(rows(11, third), 1000);
    assert.equal(p.items.length, 3);
    assert.ok(JSON.stringify(p.items).length <= MAX_PAGE_BYTES);
    assert.deepEqual(decodeCursor(p.next!, key), [2, 'r2']);
    const huge = page(rows(2, MAX_PAGE_BYTES * 2), 1000);
    assert.equal(huge.items.length, 1, 'one oversized item still makes a page, so paging moves on');
    assert.notEqual(huge.next, null);
  });

  it('rejects a cursor it did not give out with 400 LS_HTTP_BAD_REQUEST', () => {
    for (const bad of ['', 'not-base64!', encodeCursor({ a: 1 }), encodeCursor(['m1']), encodeCursor([1.5, 'x']), Buffer.from('[1,').toString('base64url')]) {
      assert.throws(() => decodeCursor(bad, key), (e: unknown) => e instanceof HttpError && e.status === 400 && e.code === 'LS_HTTP_BAD_REQUEST' && /^cursor: /.test(e.message), bad);
    }
    assert.equal(decodeCursor(undefined, key), undefined);
  });

  it('links the next page on the route\'s own path, keeping the other parameters', () => {
    const url = new URL('http://localhost//api/v1/oee?machine=m1&limit=5&cursor=old');
    assert.deepEqual(linkHeader('/api/v1/oee', url, 'abc'), { link: '</api/v1/oee?machine=m1&limit=5&cursor=abc>; rel="next"' });
    assert.deepEqual(linkHeader('/api/v1/oee', url, null), {});
  });
});
