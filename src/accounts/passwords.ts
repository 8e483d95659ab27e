import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'

// Passwords are hashed with scrypt (memory-hard, in node:crypto, no dependency): N = 2^15,
// r = 8, p = 1: 32 MiB per hash; a check measured 260-360 ms on this 2-core machine at load
// ~10 (5 runs). That is below OWASP's password-storage minimum for scrypt (N = 2^17, 128 MiB;
// or N = 2^15 with p = 3): chosen so that a few concurrent sign-ins cannot take a small host's
// memory or a second of CPU each; sign-in is also throttled per address. The stored text
// carries its parameters, so raising them later leaves stored hashes valid.
// Format: scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>.

const LOG2_N = 15
const R = 8
const P = 1
const KEY_BYTES = 32
export const MIN_PASSWORD_LENGTH = 12

function derive(password: string, salt: Buffer, log2n: number, r: number, p: number) {
  const options: ScryptOptions = { N: 2 ** log2n, r, p, maxmem: 256 * r * 2 ** log2n }
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, LOG2_N, R, P)
  return ['scrypt', LOG2_N, R, P, salt.toString('base64'), key.toString('base64')].join('$')
}

/** Constant-time check of a password against a stored hash; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, log2n, r, p, salt, key] = stored.split('$')
  if (kind !== 'scrypt' || !log2n || !r || !p || !salt || !key) return false
  const expected = Buffer.from(key, 'base64')
  const actual = await derive(password, Buffer.from(salt, 'base64'), +log2n, +r, +p)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** Spent on a sign-in with an unknown name, so its answer takes as long as a wrong password's. */
export const DUMMY_HASH = `scrypt$${LOG2_N}$${R}$${P}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_BYTES).toString('base64')}`
