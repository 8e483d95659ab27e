import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Pool } from 'pg'
import type { Principal, Role } from './permissions.js'

// Dashboard sessions, kept server-side so that they can be ended at once (sign-out, an admin
// revoking them, a disabled account, a new password). The cookie holds 32 random bytes; the
// table keeps only their SHA-256, so a copy of the table signs nobody in. The CSRF token is a
// hash of the cookie value: a page of this host can show it, nobody else can work it out.
// A session signed in with ADMIN_TOKEN carries a tag (an HMAC keyed by the token), so changing
// ADMIN_TOKEN ends those sessions as it did before accounts existed.

export const SESSION_SECONDS = 12 * 60 * 60

export type Session = { id: string; csrf: string }

const sha256 = (text: string) => createHash('sha256').update(text).digest()

/** What ties an ADMIN_TOKEN session to the token it signed in with. */
export function adminTokenTag(adminToken: string): Buffer {
  return createHmac('sha256', adminToken).update('postback-receiver dashboard session v2').digest()
}

/** A new session; its cookie value (the only copy of the secret). */
export async function createSession(
  pool: Pool,
  owner: { accountId: string } | { adminTokenTag: Buffer },
  sourceIp: string,
): Promise<string> {
  const value = randomBytes(32).toString('base64url')
  const accountId = 'accountId' in owner ? owner.accountId : null
  const tag = 'adminTokenTag' in owner ? owner.adminTokenTag : null
  // Expired rows are of no use: each new session clears those a week past their end.
  await pool.query(`DELETE FROM sessions WHERE expires_at < now() - interval '7 days'`)
  await pool.query(
    `INSERT INTO sessions (id_hash, account_id, admin_token_tag, source_ip, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
    [sha256(value), accountId, tag, sourceIp, SESSION_SECONDS],
  )
  return value
}

/** The session a cookie proves and who it is, or null (unknown, ended, expired, disabled). */
export async function findSession(
  pool: Pool,
  cookie: string | undefined,
  currentTag: Buffer,
): Promise<{ session: Session; principal: Principal } | null> {
  if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return null
  const { rows } = await pool.query<{
    id: string
    account_id: string | null
    admin_token_tag: Buffer | null
    name: string | null
    role: Role | null
  }>(
    `SELECT s.id, s.account_id, s.admin_token_tag, a.name, a.role
     FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
     WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
       AND (s.account_id IS NULL OR a.disabled_at IS NULL)`,
    [sha256(cookie)],
  )
  const row = rows[0]
  if (!row) return null
  const session = { id: row.id, csrf: sha256(`csrf.${cookie}`).toString('base64url') }
  if (row.account_id && row.name && row.role)
    return {
      session,
      principal: { name: row.name, grant: row.role, accountId: row.account_id, sessionId: row.id },
    }
  const tag = row.admin_token_tag
  if (!tag || tag.length !== currentTag.length || !timingSafeEqual(tag, currentTag)) return null
  return {
    session,
    principal: { name: 'ADMIN_TOKEN', grant: 'admin', accountId: null, sessionId: row.id },
  }
}

/** Sign-out: this session ends now. */
export async function endSession(pool: Pool, sessionId: string): Promise<void> {
  await pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [
    sessionId,
  ])
}
