// Password hashes of the station's users: scrypt (RFC 7914, node:crypto), stored as
// `scrypt$N$r$p$salt$hash` with salt and hash in base64, so the cost can grow for new hashes
// while old ones still verify. Hashing runs on the libuv pool: a login never blocks the loop.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, o: { N: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, o);
  return `scrypt$${o.N}$${o.r}$${o.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash with absurd parameters (a typo'd N) is not a match rather than minutes of work. */
function parse(hash: string): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | undefined {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { N, r, p, salt: Buffer.from(m[4]!, 'base64'), key: Buffer.from(m[5]!, 'base64') };
}

export function isPasswordHash(hash: string): boolean {
  return parse(hash) !== undefined;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const h = parse(hash);
  if (!h || h.key.length < 16) return false;
  const key = await derive(password, h.salt, h);
  return key.length === h.key.length && timingSafeEqual(key, h.key);
}

/** Verified against when the user name is unknown, so the answer takes as long either way. */
export const DUMMY_HASH = `scrypt$${SCRYPT_DEFAULTS.N}$${SCRYPT_DEFAULTS.r}$${SCRYPT_DEFAULTS.p}$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;
