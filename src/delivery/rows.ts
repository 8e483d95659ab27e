/** A deliveries row as the admin API and the dashboard read it (SELECT ${DELIVERY_COLUMNS}). */
export type DeliveryRecord = {
  id: string
  conversion_id: string
  rule: string
  event: string
  state: string
  attempts: number
  max_attempts: number
  next_attempt_at: Date
  last_status: number | null
  last_error: string | null
  created_at: Date
  delivered_at: Date | null
}

export const DELIVERY_COLUMNS = `id::text, conversion_id::text, rule, event, state, attempts,
  max_attempts, next_attempt_at, last_status, last_error, created_at, delivered_at`
