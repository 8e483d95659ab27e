import type { Pool, PoolClient } from 'pg'
import type { Actor } from './actor.js'

// One audit row per state-changing action. Written with the caller's client, inside the
// caller's transaction where the change has one, so that the row commits (or rolls back) with
// the change it describes. before/after hold the subject's state as plain JSON: never a
// password, a token or a hash of one (callers pass what they choose; see accounts/).

export type AuditEntry = {
  actor: Actor
  /** noun.verb: conversion.approve, delivery.retry, balance.adjust, offer.set, ... */
  action: string
  subject: { type: string; id: string }
  /** So the conversion's timeline shows it. */
  conversionId?: string | null
  /** So the user's timeline shows it. */
  userId?: string | null
  before?: unknown
  after?: unknown
}

export async function recordAudit(db: Pool | PoolClient, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor, via, action, subject_type, subject_id, conversion_id, user_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8::jsonb, $9::jsonb)`,
    [
      entry.actor.name.slice(0, 255),
      entry.actor.via.slice(0, 255),
      entry.action,
      entry.subject.type,
      entry.subject.id,
      entry.conversionId ?? null,
      entry.userId ?? null,
      jsonOf(entry.before),
      jsonOf(entry.after),
    ],
  )
}

/** JSON text for a jsonb column; bigints as decimal strings (exact), undefined as NULL. */
function jsonOf(value: unknown): string | null {
  if (value === undefined || value === null) return null
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v))
}
