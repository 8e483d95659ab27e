import { createHash, randomBytes } from 'node:crypto'
import type { Pool } from 'pg'
import type { Actor } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import { withTransaction } from '../db/transaction.js'
import { HttpError } from '../http/errors.js'
import type { Principal, TokenScope } from './permissions.js'

// API tokens: `pbr_` and 32 random bytes (base64url), shown once when created. Only the
// token's SHA-256 is stored: a 256-bit random value cannot be guessed from its hash, so a slow
// KDF would add nothing but latency to every request. The prefix lets a secret scanner find a
// leaked one and lets the check skip the database for anything else.

export const TOKEN_PREFIX = 'pbr_'

export type ApiToken = {
  id: string
  name: string
  scope: TokenScope
  createdBy: string
  createdAt: Date
  expiresAt: Date | null
  revokedAt: Date | null
  lastUsedAt: Date | null
}

const COLUMNS = 'id, name, scope, created_by, created_at, expires_at, revoked_at, last_used_at'
type Row = {
  id: string
  name: string
  scope: TokenScope
  created_by: string
  created_at: Date
  expires_at: Date | null
  revoked_at: Date | null
  last_used_at: Date | null
}
const toToken = (row: Row): ApiToken => ({
  id: row.id,
  name: row.name,
  scope: row.scope,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
})

function hashOf(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** A new token: the row, and the token itself (the only time it exists outside the caller). */
export async function createApiToken(
  pool: Pool,
  spec: { name: string; scope: TokenScope; expiresAt: Date | null },
  actor: Actor,
): Promise<{ token: string; apiToken: ApiToken }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<Row>(
      `INSERT INTO api_tokens (name, token_hash, scope, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [spec.name, hashOf(token), spec.scope, actor.name, spec.expiresAt],
    )
    const apiToken = toToken(rows[0] as Row)
    await recordAudit(client, {
      actor,
      action: 'token.create',
      subject: { type: 'token', id: apiToken.id },
      after: { name: apiToken.name, scope: apiToken.scope, expiresAt: apiToken.expiresAt },
    })
    return { token, apiToken }
  })
}

export async function listApiTokens(pool: Pool): Promise<ApiToken[]> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY id`)
  return rows.map(toToken)
}

/** Revokes a token at once (the next request with it is a 401). Revoking twice changes nothing. */
export async function revokeApiToken(pool: Pool, id: string, actor: Actor): Promise<ApiToken> {
  return withTransaction(pool, async (client) => {
    const { rows: old } = await client.query<Row>(
      `SELECT ${COLUMNS} FROM api_tokens WHERE id = $1 FOR UPDATE`,
      [id],
    )
    const before = old[0]
    if (!before) throw new HttpError('TOKEN_NOT_FOUND', `no API token with id ${id}`)
    if (before.revoked_at) return toToken(before)
    const { rows } = await client.query<Row>(
      `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    )
    const revoked = toToken(rows[0] as Row)
    await recordAudit(client, {
      actor,
      action: 'token.revoke',
      subject: { type: 'token', id },
      before: { name: before.name, scope: before.scope, revokedAt: null },
      after: { name: revoked.name, scope: revoked.scope, revokedAt: revoked.revokedAt },
    })
    return revoked
  })
}

/** Who a sent token is, or null (unknown, revoked or expired). */
export async function principalOfToken(pool: Pool, sent: string): Promise<Principal | null> {
  if (!sent.startsWith(TOKEN_PREFIX)) return null
  const { rows } = await pool.query<{
    id: string
    name: string
    scope: TokenScope
    stale: boolean
  }>(
    `SELECT id, name, scope,
            (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
     FROM api_tokens
     WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
    [hashOf(sent)],
  )
  const row = rows[0]
  if (!row) return null
  // last_used_at to the minute: one write a minute per token, not one per request.
  if (row.stale)
    await pool.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [row.id])
  return { name: `token:${row.name}`, grant: row.scope, accountId: null, sessionId: null }
}
