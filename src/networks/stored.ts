import type { Pool, PoolClient } from 'pg'
import { z } from 'zod'
import { parseRow } from '../db/row-schema.js'

// The network_profiles table (migration 0014): profiles added in the dashboard or admin API.
// `profile` is a NETWORKS_FILE entry without its secrets; the secrets are read only to build
// the running profile, never shown.

const storedRowSchema = z.object({
  name: z.string(),
  profile: z.record(z.string(), z.unknown()),
  secrets: z.array(z.string()),
  version: z.string(),
  updated_at: z.date(),
  updated_by: z.string(),
})

export type StoredNetwork = {
  name: string
  /** The NETWORKS_FILE-shaped entry, without `secrets`. */
  entry: Record<string, unknown>
  secrets: readonly string[]
  version: string
  updatedAt: Date
  updatedBy: string
}

const COLUMNS = 'name, profile, secrets, version::text, updated_at, updated_by'

function toStored(raw: unknown): StoredNetwork {
  const row = parseRow('network_profiles', storedRowSchema, raw)
  return {
    name: row.name,
    entry: row.profile,
    secrets: row.secrets,
    version: row.version,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  }
}

export async function listStoredNetworks(pool: Pool): Promise<StoredNetwork[]> {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM network_profiles ORDER BY name`)
  return rows.map(toStored)
}

/** Changes with every write (and delete): what each instance polls to know it must reload. */
export async function storedNetworksVersion(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ version: string }>(
    `SELECT count(*) || ':' || coalesce(max(version), 0) AS version FROM network_profiles`,
  )
  return rows[0]?.version ?? ''
}

/** The row, locked until the transaction ends (an edit merges into what it read). */
export async function lockStoredNetwork(
  client: PoolClient,
  name: string,
): Promise<StoredNetwork | null> {
  const { rows } = await client.query(
    `SELECT ${COLUMNS} FROM network_profiles WHERE name = $1 FOR UPDATE`,
    [name],
  )
  return rows[0] ? toStored(rows[0]) : null
}

export type StoredWrite = {
  name: string
  entry: Record<string, unknown>
  secrets: readonly string[]
  by: string
}

/** Inserts a new network; null when the name is taken (the unique key decides). */
export async function insertStoredNetwork(
  client: PoolClient,
  write: StoredWrite,
): Promise<StoredNetwork | null> {
  const { rows } = await client.query(
    `INSERT INTO network_profiles (name, profile, secrets, updated_by)
     VALUES ($1, $2::jsonb, $3::text[], $4)
     ON CONFLICT (name) DO NOTHING
     RETURNING ${COLUMNS}`,
    [write.name, JSON.stringify(write.entry), write.secrets, write.by],
  )
  return rows[0] ? toStored(rows[0]) : null
}

export async function updateStoredNetwork(
  client: PoolClient,
  write: StoredWrite,
): Promise<StoredNetwork> {
  const { rows } = await client.query(
    `UPDATE network_profiles
     SET profile = $2::jsonb, secrets = $3::text[], updated_by = $4, updated_at = now(),
         version = nextval('network_profiles_version')
     WHERE name = $1
     RETURNING ${COLUMNS}`,
    [write.name, JSON.stringify(write.entry), write.secrets, write.by],
  )
  if (!rows[0]) throw new Error(`network_profiles row ${write.name} vanished under its lock`)
  return toStored(rows[0])
}
