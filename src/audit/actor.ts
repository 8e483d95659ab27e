// Who did something, as every state-changing operation takes it (the admin API, the dashboard,
// the CLI): the name the audit log keeps and where the request came from.

export type Actor = {
  /** An account's name, ADMIN_TOKEN, token:<name>, or cli:<os user>. */
  name: string
  /** "dashboard from 203.0.113.7", "admin-api from 203.0.113.7", "cli". */
  via: string
}

/**
 * The short text older records keep (ledger_entries.created_by, postback_log.replayed_by):
 * the CLI's user, where an ADMIN_TOKEN request came from (as before accounts existed), or the
 * account or token and where.
 */
export function actorText(actor: Actor): string {
  if (actor.via === 'cli') return actor.name
  if (actor.name === 'ADMIN_TOKEN') return actor.via
  return `${actor.via} as ${actor.name}`
}
