import type { Pool } from 'pg'
import type { Config } from '../../config.js'
import { PRESETS } from '../../networks/presets/index.js'
import type { NetworkProfile } from '../../networks/profile.js'
import { type Diagnosis, type DoctorRow, diagnoseNetwork } from './diagnose.js'

export const DOCTOR_DEFAULT_ROWS = 100
export const DOCTOR_MAX_ROWS = 1000

/** The network's newest postback log rows, newest first; operator replays are not the network's. */
export async function loadDoctorRows(
  pool: Pool,
  network: string,
  limit = DOCTOR_DEFAULT_ROWS,
): Promise<DoctorRow[]> {
  const { rows } = await pool.query<{
    id: string
    received_at: Date
    path: string
    query: string | null
    body: string | null
    headers: Record<string, string> | null
    source_ip: string | null
    status_code: number
    outcome: string
    message: string | null
  }>(
    `SELECT id::text, received_at, path, query, body, headers, source_ip, status_code, outcome, message
       FROM postback_log
      WHERE network = $1 AND replay_of IS NULL
      ORDER BY id DESC
      LIMIT $2`,
    [network, limit],
  )
  return rows.map((row) => ({
    id: row.id,
    receivedAt: row.received_at,
    path: row.path,
    query: row.query,
    body: row.body,
    headers: row.headers ?? {},
    sourceIp: row.source_ip,
    statusCode: row.status_code,
    outcome: row.outcome,
    message: row.message,
  }))
}

/** Reads the log and diagnoses `profile`'s network (the CLI, admin API and dashboard). */
export async function runDoctor(
  pool: Pool,
  config: Pick<Config, 'PUBLIC_URL'>,
  profile: NetworkProfile,
  limit = DOCTOR_DEFAULT_ROWS,
): Promise<Diagnosis> {
  const rows = await loadDoctorRows(pool, profile.name, limit)
  return diagnoseNetwork(
    {
      network: profile.name,
      signatureKind: profile.signature.kind,
      allowedIps: profile.allowedIps,
      suggestedIps: (profile.preset && PRESETS[profile.preset]?.suggestedIps) || [],
      publicUrl: config.PUBLIC_URL,
    },
    rows,
  )
}
