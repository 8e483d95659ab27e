import type { Pool, PoolClient } from 'pg'
import type { z } from 'zod'
import { type Actor, actorText } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import type { Config } from '../config.js'
import { withTransaction } from '../db/transaction.js'
import { HttpError } from '../http/errors.js'
import type { NetworkStatus } from '../postbacks/transitions.js'
import { networkPostbackUrl, type PostbackUrl } from './postback-url.js'
import {
  buildProfile,
  type NetworkProfile,
  ProfileError,
  type profileInputSchema,
} from './profile.js'
import type { NetworkRegistry, NetworkSource } from './registry.js'
import {
  insertStoredNetwork,
  lockStoredNetwork,
  type StoredNetwork,
  updateStoredNetwork,
} from './stored.js'

// Adding and editing a network stored in the database (dashboard and admin API): checked by
// the same buildProfile as NETWORKS_FILE entries before anything is written, so a stored
// profile that fails is refused with a 400 naming the field. After the commit this instance
// reloads at once; the others within NETWORKS_RELOAD_INTERVAL (networks/watch.ts).
// Secrets are write-only: what this returns (and what an audit may record) says how many a
// network has and whether they changed, never what they are.

/** A NETWORKS_FILE entry as the admin API and the dashboard send it. */
export type NetworkEntry = z.output<typeof profileInputSchema>

export type EditDeps = { pool: Pool; config: Config; networks: NetworkRegistry }

/** One network as the admin API and the dashboard show it: never its secrets. */
export type NetworkView = {
  name: string
  source: NetworkSource | null
  preset: string | null
  signature: string | null
  allowedIps: string[]
  statuses: Record<NetworkStatus, string[]>
  /** How many secrets it has (never which). */
  secrets: number
  /** The database defines it too, but NETWORKS_FILE (or the environment) wins. */
  shadowed: boolean
  /** Only networks stored in the database are edited here; NETWORKS_FILE's in the file. */
  editable: boolean
}

/** What changed in one edit (as audited): secrets as a flag only. */
export type NetworkChange = {
  name: string
  before: Record<string, unknown> | null
  after: Record<string, unknown>
  secretsChanged: boolean
  stored: StoredNetwork
}

export function describeNetwork(networks: NetworkRegistry, name: string): NetworkView | undefined {
  const profile = networks.get(name)
  if (!profile) return undefined
  return viewOf(profile, networks.source(name) ?? null, networks.shadowed().includes(name))
}

function viewOf(profile: NetworkProfile, source: NetworkSource | null, shadowed: boolean) {
  const statuses: Record<NetworkStatus, string[]> = { approved: [], pending: [], reversed: [] }
  for (const [value, status] of profile.statuses) statuses[status].push(value)
  return {
    name: profile.name,
    source,
    preset: profile.preset,
    signature: profile.signature.kind,
    allowedIps: [...profile.allowedIps.entries],
    statuses,
    secrets: profile.secrets.length,
    shadowed,
    editable: source === 'database',
  }
}

/** A stored network as written: what now runs, plus the stored entry (never its secrets). */
export function describeChange(config: Config, change: NetworkChange) {
  const { stored } = change
  const profile = buildProfile(
    stored.name,
    { ...stored.entry, secrets: [...stored.secrets] },
    config,
  )
  return {
    ...viewOf(profile, 'database', false),
    profile: stored.entry,
    secretsChanged: change.secretsChanged,
    updatedAt: stored.updatedAt,
    updatedBy: stored.updatedBy,
  }
}

const SECRET_PLACEHOLDER = 'YOUR_SECRET'

/**
 * The URL to paste into the network's panel, as the dashboard and the admin API show it. A
 * stored network's secret is write-only: where the network sends it in the URL, the URL shows
 * YOUR_SECRET in its place. (NETWORKS_FILE's networks show theirs, as before.)
 */
export function shownPostbackUrl(
  networks: NetworkRegistry,
  profile: NetworkProfile,
  base: string,
): PostbackUrl {
  if (networks.source(profile.name) !== 'database') return networkPostbackUrl(profile, base)
  const shown = networkPostbackUrl({ ...profile, secrets: [SECRET_PLACEHOLDER] }, base)
  if (!shown.url.includes(SECRET_PLACEHOLDER)) return shown
  const note = `the secret is not shown once stored: put the network's secret in place of ${SECRET_PLACEHOLDER}`
  return { ...shown, notes: [...shown.notes, note] }
}

/** Adds a network to the database. 409 when the name is taken (database, file, environment). */
export async function createNetwork(
  deps: EditDeps,
  name: string,
  entry: NetworkEntry,
  actor: Actor,
): Promise<NetworkChange> {
  refuseFixed(deps.networks, name, 'NETWORK_EXISTS')
  const { secrets = [], ...rest } = entry
  check(deps.config, name, entry)
  const change = await withTransaction(deps.pool, async (client) => {
    const by = actorText(actor)
    const stored = await insertStoredNetwork(client, { name, entry: rest, secrets, by })
    if (!stored)
      throw new HttpError(
        'NETWORK_EXISTS',
        `network "${name}" already exists: edit it, or choose another name`,
      )
    const change = { name, before: null, after: rest, secretsChanged: true, stored }
    await audit(client, actor, 'network.add', change)
    return change
  })
  await reload(deps.networks)
  return change
}

/**
 * Changes some fields of a stored network (each given field replaces its value; `secrets`
 * replaces the list, left out it keeps them). The row is locked from read to write, so two
 * edits at once both apply, one after the other.
 */
export async function editNetwork(
  deps: EditDeps,
  name: string,
  changes: Partial<NetworkEntry>,
  actor: Actor,
): Promise<NetworkChange> {
  refuseFixed(deps.networks, name, 'NETWORK_READ_ONLY')
  const change = await withTransaction(deps.pool, async (client) => {
    const current = await lockStoredNetwork(client, name)
    if (!current)
      throw new HttpError(
        'UNKNOWN_NETWORK',
        `no network "${name}" in the database; configured: ${deps.networks.names().join(', ')}`,
      )
    const { secrets: newSecrets, ...fields } = changes
    const after = { ...current.entry, ...fields }
    const secrets = newSecrets ?? [...current.secrets]
    check(deps.config, name, { ...after, secrets })
    const by = actorText(actor)
    const stored = await updateStoredNetwork(client, { name, entry: after, secrets, by })
    const secretsChanged =
      newSecrets !== undefined && newSecrets.join('\n') !== current.secrets.join('\n')
    const change = { name, before: current.entry, after, secretsChanged, stored }
    await audit(client, actor, 'network.edit', change)
    return change
  })
  await reload(deps.networks)
  return change
}

/**
 * The audit row, in the change's transaction: the stored entry before and after, which never
 * holds a secret; a new secret shows only as `secrets: "changed"`.
 */
async function audit(client: PoolClient, actor: Actor, action: string, change: NetworkChange) {
  await recordAudit(client, {
    actor,
    action,
    subject: { type: 'network', id: change.name },
    before: change.before,
    after: change.secretsChanged ? { ...change.after, secrets: 'changed' } : change.after,
  })
}

/** The environment's and NETWORKS_FILE's networks are not edited here. */
function refuseFixed(
  networks: NetworkRegistry,
  name: string,
  code: 'NETWORK_EXISTS' | 'NETWORK_READ_ONLY',
) {
  const source = networks.source(name)
  if (source === 'environment')
    throw new HttpError(
      code,
      `network "${name}" is configured by the environment (POSTBACK_SECRET, ALLOWED_IPS, ...)`,
    )
  if (source === 'file')
    throw new HttpError(
      code,
      `network "${name}" is defined in NETWORKS_FILE, which wins over the database: edit the file and reload (SIGHUP)`,
    )
}

/** The same check NETWORKS_FILE entries get; a 400 naming each field that fails it. */
function check(config: Config, name: string, entry: Record<string, unknown>) {
  try {
    buildProfile(name, entry, config)
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error
    const problems = error.problems.length
      ? error.problems
      : [{ field: 'profile', message: error.message }]
    throw new HttpError(
      'INVALID_FIELD',
      problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      {
        fields: problems.map((p) => ({
          field: p.field,
          code: 'INVALID_FIELD',
          message: p.message,
        })),
      },
    )
  }
}

/** This instance at once; a failed reload (the file broke meanwhile) is retried by the watcher, which logs it. */
async function reload(networks: NetworkRegistry) {
  await networks.refresh().catch(() => {})
}
