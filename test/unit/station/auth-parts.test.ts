import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { PASSWORD_HASH } from '../../../config/schema/agent.ts';
import { readCookie, StationAccess } from '../../../agent/station/access.ts';
import { LoginLimit } from '../../../agent/station/login-limit.ts';
import { DUMMY_HASH, hashPassword, isPasswordHash, verifyPassword } from '../../../agent/station/password.ts';
import { Sessions } from '../../../agent/station/sessions.ts';

const FAST = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('verifies the password it hashed and nothing else, in the documented format', async () => {
    const hash = await hashPassword('correct horse', FAST);
    assert.match(hash, PASSWORD_HASH);
    assert.match(hash, /^scrypt\$1024\$8\$1\$/);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct hors', hash), false);
    assert.notEqual(await hashPassword('correct horse', FAST), hash, 'a fresh salt every time');
  });

  it('treats malformed hashes and absurd costs as no match rather than work', async () => {
    assert.equal(isPasswordHash(DUMMY_HASH), true);
    assert.equal(await verifyPassword('x', DUMMY_HASH), false);
    assert.equal(await verifyPassword('x', 'plain-text-password'), false);
    assert.equal(isPasswordHash('scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='), false);
    assert.equal(isPasswordHash('scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='), false, 'N must be a power of two');
  });
});

describe('sessions', () => {
  it('end when idle, at their absolute age, on logout, and least recently used first when full', () => {
    let now = 0;
    const ended: string[] = [];
    const s = new Sessions({ idleMs: 1000, maxAgeMs: 5000, now: () => now, max: 2 });
    s.onEnd((id) => ended.push(id));
    const a = s.create('ann', 'operator');
    now = 900;
    assert.equal(s.get(a.id)?.user, 'ann', 'used before the idle timeout');
    now = 1800;
    assert.equal(s.get(a.id)?.user, 'ann', 'the use moved the idle timeout on');
    now = 2900;
    assert.equal(s.get(a.id), undefined, 'idle too long');
    assert.deepEqual(ended, [a.id]);

    const b = s.create('bob', 'viewer');
    for (now = 3000; now < 7900; now += 800) assert.ok(s.get(b.id), `used at ${now}`);
    now = 8000;
    assert.equal(s.get(b.id), undefined, 'past maxAge however busy');
    assert.equal(s.expiresAt(b), 2900 + 5000, 'created at 2900');

    const c = s.create('c', 'viewer');
    const d = s.create('d', 'viewer');
    s.get(c.id);
    s.create('e', 'viewer');
    assert.ok(s.alive(c.id) && !s.alive(d.id), 'the least recently used went');
    s.end(c.id);
    assert.equal(s.get(c.id), undefined);
    assert.ok(ended.includes(d.id) && ended.includes(c.id));
    assert.notEqual(c.csrf, c.id);
  });
});

describe('login rate limit', () => {
  it('lets a few failures pass, then doubles the wait up to a minute; success clears it', () => {
    let now = 0;
    const l = new LoginLimit({ now: () => now, free: 3 });
    const keys = ['addr:1', 'user:ann'];
    for (let i = 0; i < 3; i++) {
      assert.equal(l.wait(keys), 0);
      l.fail(keys);
    }
    assert.equal(l.wait(keys), 0, 'three free failures');
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      l.fail(keys);
      waits.push(l.wait(keys));
      now += waits.at(-1)!;
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    assert.equal(l.wait(['user:ann']), 0, 'never locked for longer than the wait');
    l.fail(keys);
    assert.ok(l.wait(['addr:2', 'user:ann']) > 0, 'the user name is limited from any address');
    l.succeed(keys);
    assert.equal(l.wait(keys), 0);
  });

  it('forgets quiet entries and stays bounded under a flood of names', () => {
    let now = 0;
    const l = new LoginLimit({ now: () => now, free: 0, maxEntries: 100, forgetMs: 10_000 });
    l.fail(['user:x']);
    assert.ok(l.wait(['user:x']) > 0);
    now = 20_000;
    assert.equal(l.wait(['user:x']), 0);
    for (let i = 0; i < 1000; i++) l.fail([`user:${i}`]);
    assert.equal(l.wait(['user:0']), 0, 'the oldest names were dropped');
    assert.ok(l.wait(['user:999']) > 0);
  });
});

describe('station access', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

  it('knows role tokens, the admin token and session cookies; a wrong one is null, none is undefined', () => {
    const sessions = new Sessions({ idleMs: 60_000, maxAgeMs: 60_000 });
    const access = new StationAccess({ token: 'admin-token-0123456789', tokens: [{ name: 'bi', role: 'viewer', token: 'viewer-token-0123456789' }], users: [] }, sessions);
    assert.equal(access.open, false);
    assert.deepEqual(access.identify(req({ authorization: 'Bearer viewer-token-0123456789' })), { name: 'bi', role: 'viewer', via: 'token' });
    assert.equal(access.identify(req({ authorization: 'Bearer admin-token-0123456789' }))?.role, 'admin');
    assert.equal(access.identify(req({ authorization: 'Bearer nope' })), null);
    assert.equal(access.identify(req({})), undefined);
    const s = sessions.create('ann', 'operator');
    assert.deepEqual(access.identify(req({ cookie: `other=1; lineside_session=${s.id}` })), { name: 'ann', role: 'operator', via: 'session', sessionId: s.id, csrf: s.csrf });
    assert.equal(access.identify(req({ cookie: 'lineside_session=forged' })), null);
  });

  it('is open with nothing configured, and a stale cookie there counts as no cookie', () => {
    const access = new StationAccess({ tokens: [], users: [] }, new Sessions({ idleMs: 1000, maxAgeMs: 1000 }));
    assert.equal(access.open, true);
    assert.equal(access.identify(req({ cookie: 'lineside_session=gone' })), undefined);
    assert.equal(readCookie('a=1;  b = 2 ', 'b'), '2');
    assert.equal(readCookie(undefined, 'b'), undefined);
  });
});
