import type { Pool, PoolClient } from 'pg'
import type { Actor } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import { withTransaction } from '../db/transaction.js'
import { HttpError } from '../http/errors.js'
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.js'
import type { Role } from './permissions.js'

// Named operator accounts: created by the CLI or an admin, listed, changed (role, disabled),
// given a new password; each change has its audit row (never the password or its hash).
// Disabling an account or changing its password or role ends its sessions at once.

export const ACCOUNT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
const UNIQUE_VIOLATION = '23505'

export type Account = {
  id: string
  name: string
  role: Role
  disabled: boolean
  createdBy: string
  createdAt: Date
  /** Sessions neither ended nor expired. */
  activeSessions: number
}

const COLUMNS = `a.id, a.name, a.role, a.disabled_at IS NOT NULL AS disabled, a.created_by, a.created_at,
  (SELECT count(*)::int FROM sessions s WHERE s.account_id = a.id AND s.revoked_at IS NULL AND s.expires_at > now()) AS active_sessions`
type Row = {
  id: string
  name: string
  role: Role
  disabled: boolean
  created_by: string
  created_at: Date
  active_sessions: number
}
const toAccount = (row: Row): Account => ({
  id: row.id,
  name: row.name,
  role: row.role,
  disabled: row.disabled,
  createdBy: row.created_by,
  createdAt: row.created_at,
  activeSessions: row.active_sessions,
})
const stateOf = (a: Account) => ({ name: a.name, role: a.role, disabled: a.disabled })

export function checkPassword(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new HttpError(
      'INVALID_FIELD',
      `password: must be at least ${MIN_PASSWORD_LENGTH} characters (a passphrase of several words is easiest)`,
    )
}

export async function createAccount(
  pool: Pool,
  spec: { name: string; role: Role; password: string },
  actor: Actor,
): Promise<Account> {
  checkPassword(spec.password)
  const hash = await hashPassword(spec.password)
  try {
    return await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO accounts (name, role, password_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
        [spec.name, spec.role, hash, actor.name],
      )
      const account = await lockAccount(client, spec.name)
      await recordAudit(client, {
        actor,
        action: 'account.create',
        subject: { type: 'account', id: rows[0]?.id ?? '' },
        after: stateOf(account),
      })
      return account
    })
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION)
      throw new HttpError('ACCOUNT_EXISTS', `an account named "${spec.name}" exists already`)
    throw error
  }
}

export async function listAccounts(pool: Pool): Promise<Account[]> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM accounts a ORDER BY a.name`)
  return rows.map(toAccount)
}

async function lockAccount(client: PoolClient, name: string): Promise<Account> {
  const { rows } = await client.query<Row>(
    `SELECT ${COLUMNS} FROM accounts a WHERE a.name = $1 FOR UPDATE`,
    [name],
  )
  if (!rows[0]) throw new HttpError('ACCOUNT_NOT_FOUND', `no account named "${name}"`)
  return toAccount(rows[0])
}

async function endSessions(client: PoolClient, accountId: string): Promise<number> {
  const { rowCount } = await client.query(
    'UPDATE sessions SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > now()',
    [accountId],
  )
  return rowCount ?? 0
}

/** Changes the role and/or disables (or enables) an account; its sessions end. */
export async function updateAccount(
  pool: Pool,
  name: string,
  change: { role?: Role; disabled?: boolean },
  actor: Actor,
): Promise<Account> {
  return withTransaction(pool, async (client) => {
    const before = await lockAccount(client, name)
    await client.query(
      `UPDATE accounts SET role = COALESCE($2, role),
         disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at
                            WHEN $3 THEN COALESCE(disabled_at, now()) ELSE NULL END,
         updated_at = now()
       WHERE id = $1`,
      [before.id, change.role ?? null, change.disabled ?? null],
    )
    const sessionsEnded = await endSessions(client, before.id)
    const after = await lockAccount(client, name)
    await recordAudit(client, {
      actor,
      action: 'account.update',
      subject: { type: 'account', id: before.id },
      before: stateOf(before),
      after: { ...stateOf(after), sessionsEnded },
    })
    return after
  })
}

/** Sets a new password and ends the account's sessions. The audit row says only that it changed. */
export async function resetPassword(pool: Pool, name: string, password: string, actor: Actor) {
  checkPassword(password)
  const hash = await hashPassword(password)
  return withTransaction(pool, async (client) => {
    const account = await lockAccount(client, name)
    await client.query('UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1', [
      account.id,
      hash,
    ])
    const sessionsEnded = await endSessions(client, account.id)
    await recordAudit(client, {
      actor,
      action: 'account.password',
      subject: { type: 'account', id: account.id },
      after: { name, passwordChanged: true, sessionsEnded },
    })
    return { ...account, activeSessions: 0 }
  })
}

/** Ends every session of an account at once (its next request signs in again). */
export async function revokeSessions(pool: Pool, name: string, actor: Actor) {
  return withTransaction(pool, async (client) => {
    const account = await lockAccount(client, name)
    const sessionsEnded = await endSessions(client, account.id)
    await recordAudit(client, {
      actor,
      action: 'account.sessions.revoke',
      subject: { type: 'account', id: account.id },
      before: { name, activeSessions: account.activeSessions },
      after: { name, activeSessions: 0, sessionsEnded },
    })
    return { ...account, activeSessions: 0 }
  })
}

/** What sign-in needs: the hash (never leaves accounts/), the role, whether it may sign in. */
export async function accountForSignIn(pool: Pool, name: string) {
  const { rows } = await pool.query<{
    id: string
    name: string
    role: Role
    password_hash: string
    disabled: boolean
  }>(
    'SELECT id, name, role, password_hash, disabled_at IS NOT NULL AS disabled FROM accounts WHERE name = $1',
    [name],
  )
  return rows[0] ?? null
}
