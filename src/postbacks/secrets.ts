import { randomBytes } from 'node:crypto'
import type { Pool } from 'pg'

const SETTING = 'postback_secret'

export type SecretSource = { secrets: readonly string[]; generated: boolean }

/**
 * The secrets postbacks must carry: POSTBACK_SECRET when set; otherwise one generated on first
 * start and kept in the database, so the service never accepts unauthenticated postbacks and
 * every instance on one database agrees on it.
 */
export async function resolvePostbackSecrets(
  pool: Pool,
  configured: readonly string[],
): Promise<SecretSource> {
  if (configured.length > 0) return { secrets: configured, generated: false }
  await pool.query(
    'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
    [SETTING, randomBytes(24).toString('base64url')],
  )
  const { rows } = await pool.query<{ value: string }>(
    'SELECT value FROM settings WHERE key = $1',
    [SETTING],
  )
  const secret = rows[0]?.value
  if (!secret) throw new Error('the generated postback secret could not be stored')
  return { secrets: [secret], generated: true }
}
