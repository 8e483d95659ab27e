import type { Pool } from 'pg'
import type { Config } from '../../config.js'
import { PRESETS } from '../../networks/presets/index.js'
import type { NetworkProfile } from '../../networks/profile.js'
import { listLog } from '../../postback-log/queries.js'
import { type Diagnosis, type DoctorRow, diagnoseNetwork } from './diagnose.js'

export const DOCTOR_DEFAULT_ROWS = 100
export const DOCTOR_MAX_ROWS = 1000

/** The network's newest postback log rows, newest first; operator replays are not the network's. */
export async function loadDoctorRows(
  pool: Pool,
  network: string,
  limit = DOCTOR_DEFAULT_ROWS,
): Promise<DoctorRow[]> {
  return listLog(pool, { network, originalsOnly: true }, limit)
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
