import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXAMPLES } from '../../../agent/contract/examples.ts';
import { MESSAGES } from '../../../agent/contract/messages.ts';
import { decode } from '../../../ingest/decode.ts';
import { fastValidator } from '../../../ingest/validate.ts';

// The ingest takes a payload the compiled JSON Schema (ajv) accepts without asking zod. That is
// only right if ajv accepts exactly what the contract's zod schema accepts: checked here on every
// kind's example broken in many ways (values swapped for awkward ones, keys dropped or added).

/** Deterministic PRNG (mulberry32): a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TIMES = [
  '2026-03-02T06:00:00.000Z', '2026-03-02T06:00:00Z', '2026-03-02T06:00:00.1Z', '2026-03-02T06:00:00.123456Z', '2024-02-29T00:00:00.000Z', '2023-02-29T00:00:00.000Z',
  '2000-02-29T12:00:00.000Z', '1900-02-29T12:00:00.000Z', '2026-03-02T06:00:00.000+01:00', '2026-13-02T06:00:00.000Z', '2026-04-31T06:00:00.000Z', '2026-03-02 06:00:00.000Z',
  '2026-03-02T24:00:00.000Z', '2026-03-02T23:59:60.000Z', '2026-03-02', '2026-03-02T06:00:00.000z', ' 2026-03-02T06:00:00.000Z', '2026-03-02T06:00:00.000Z\n',
];
const NUMBERS = [0, -0, 1, -1, 0.5, 1.5, 2, 100, 1e21, 9007199254740991, 9007199254740992, -9007199254740992, 1e308, Infinity, -Infinity, NaN, 0.1 + 0.2];
const STRINGS = ['', 'x', 'edge-1:1', 'edge-1:01', 'edge-1:x', ':1', 'a:b:7', 'edge-1:1 ', 'good', 'bad', 'uncertain', 'GOOD', 'online', 'offline', 'running', 'stopped', 'fault', 'shift', 'hour', 'job', 'closed', 'live', 'lineside.telemetry/1', 'lineside.oee/1', 'press-1', '_agent', 'ü', '\u0000', '😀', 'a\nb', 'jam', 'operator', 'ok', 'refused', 'session', 'token', 'open'];
const KEYS = ['extra', '__proto__', 'constructor', 'toString', '', 'value', 'quality', 'ts', 'schema', 'data', 'values', 'revision', 'seq'];

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(o, k, { value: clone(x), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v;
}

/** Every (container, key) in a JSON value, the root included as ([holder], 0). */
function slots(v: unknown, out: Array<[Record<string | number, unknown>, string | number]> = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v as unknown as Record<number, unknown>, i]), slots(x, out)));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (out.push([v as Record<string, unknown>, k]), slots(x, out));
  return out;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function someValue(r: () => number, example: unknown): unknown {
  const k = r();
  if (k < 0.25) return pick(r, TIMES);
  if (k < 0.5) return pick(r, NUMBERS);
  if (k < 0.7) return pick(r, STRINGS);
  if (k < 0.8) return pick(r, [null, true, false, [], {}, [1], ['x'], { value: 1, quality: 'good', ts: TIMES[0] }]);
  // A piece of the same example elsewhere: well-formed, often the right type in the wrong place.
  const s = slots(example);
  return s.length ? clone(s[Math.floor(r() * s.length)]![0][s[Math.floor(r() * s.length)]![1]]) : null;
}

function mutate(r: () => number, example: unknown): unknown {
  const holder = { root: clone(example) } as Record<string, unknown>;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const all = [[holder, 'root'] as [Record<string | number, unknown>, string | number], ...slots(holder.root)];
    const [obj, key] = pick(r, all);
    const k = r();
    if (k < 0.6) obj[key] = someValue(r, example);
    else if (k < 0.8 && !Array.isArray(obj) && obj !== holder) delete obj[key];
    else {
      const target = obj[key];
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        const name = pick(r, KEYS);
        Object.defineProperty(target, name, { value: r() < 0.5 ? someValue(r, example) : clone(Object.values(target)[0]), enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return holder.root;
}

describe('ingest validation fast path (ajv from the contract JSON Schema) against zod', () => {
  it('accepts exactly what zod accepts (and returns it unchanged), for every message kind, on thousands of broken payloads', () => {
    const r = rng(20261201);
    let accepted = 0;
    let refused = 0;
    for (const m of MESSAGES) {
      const fast = fastValidator(m);
      assert.ok(fast, `${m.id}: its JSON Schema compiles`);
      assert.equal(fast(m.example), true, `${m.id}: the example is valid`);
      for (let i = 0; i < 2500; i++) {
        const x = mutate(r, m.example);
        const z = m.payload.safeParse(x);
        const a: boolean = fast(x) === true;
        // zod skips a record key named __proto__ (and leaves it out of its output); the fast path
        // refuses it (validate.ts), so zod decides such a payload: the one allowed difference.
        const protoKey = !a && z.success && JSON.stringify(x).includes('"__proto__":');
        if (!protoKey) assert.equal(a, z.success, `${m.id}: ajv ${a}, zod ${z.success ? 'accepts' : `refuses (${z.error.issues[0]?.message})`}: ${JSON.stringify(x)}`);
        // What ajv lets through is used as parsed: zod would have returned the same value.
        if (a) assert.deepEqual(z.data, x);
        if (a) accepted++;
        else refused++;
      }
    }
    // Both sides of the equivalence were exercised.
    assert.ok(accepted > 1000 && refused > 10_000, `accepted ${accepted}, refused ${refused}`);
  });

  it('telemetry with many tags and every value type passes the fast path unchanged', () => {
    const m = MESSAGES.find((x) => x.id === 'telemetry')!;
    const values: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) values[`tag.${i}/ü`] = { value: [1.25, -3, true, false, 'text', null][i % 6], quality: ['good', 'bad', 'uncertain'][i % 3], ts: TIMES[i % 4] };
    const x = { ...(EXAMPLES.telemetry as object), data: { values } };
    assert.equal(fastValidator(m)!(x), true);
    assert.equal(m.payload.safeParse(x).success, true);
  });

  it('a refused telemetry message keeps the reason zod words', () => {
    const bad = { ...EXAMPLES.telemetry, data: { values: { speed: { value: 1, quality: 'fine', ts: TIMES[0] } } } };
    const d = decode('lineside/v1/acme/plant1/hall/line1/press-1/telemetry', Buffer.from(JSON.stringify(bad)));
    assert.equal(d.type, 'invalid');
    if (d.type === 'invalid') {
      assert.match(d.reason, /^telemetry: data\.values\.speed\.quality: /);
      assert.equal(d.msgId, 'edge-1:1201');
    }
    const big = Buffer.from(JSON.stringify(EXAMPLES.telemetry).replace(/"seq":1201/, '"seq":1e400'));
    const i = decode('lineside/v1/acme/plant1/hall/line1/press-1/telemetry', big);
    assert.equal(i.type, 'invalid', 'seq 1e400 (Infinity once parsed) is refused');
    if (i.type === 'invalid') assert.match(i.reason, /^telemetry: seq: /);
  });
});
