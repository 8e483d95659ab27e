import { once } from 'node:events'
import { PassThrough, type Readable } from 'node:stream'
import type { Pool } from 'pg'
import { HttpError } from '../../http/errors.js'
import { type ReconcileJob, reconcile } from './reconcile.js'
import { ReportFormatError } from './report-row.js'

// reconcile for HTTP: the differences as a stream of CSV to answer with, from a report that
// streams in (the request body). Nothing is answered until the report is loaded and its header
// checked, so a report that cannot be read is a clean 400 (INVALID_REPORT) and a database that
// is down a 503; after that the differences stream out as PostgreSQL's cursor yields them.

export async function reconcileStream(
  pool: Pool,
  job: Omit<ReconcileJob, 'out'>,
): Promise<Readable> {
  const out = new PassThrough()
  const running = reconcile(pool, { ...job, out })
  const firstBytes = once(out, 'readable')
  try {
    await Promise.race([firstBytes, running])
  } catch (error) {
    out.destroy()
    if (error instanceof ReportFormatError) throw new HttpError('INVALID_REPORT', error.message)
    throw error
  }
  // A failure after the first bytes can only cut the answer short (its status is sent); the
  // response's pipe reports it, and an answer already gone has nobody to tell.
  out.on('error', () => {})
  running.then(
    () => out.end(),
    (error: Error) => out.destroy(error),
  )
  return out
}
