// Unique approvals against the running service, as bench/load.ts sends them: each request a new
// tx_id, users spread over 1,000. Keeps the tx ids answered 2xx (for the verification) and the
// latency of each 2xx answer in fractional ms (autocannon's own histogram keeps whole ms, too
// coarse for a 3 ms p50), and the CPU the load generator itself used.
import autocannon from 'autocannon'
import { SECRET } from './service.js'

const USERS = 1000

export type ApprovalRun = {
  result: autocannon.Result
  /** tx ids answered 2xx, in answer order. */
  accepted: string[]
  /** status code -> responses */
  statuses: Record<number, number>
  /** Over 2xx answers, ms. */
  latency: { p50: number; p99: number; max: number }
  /** CPU of this process (autocannon) per request answered, ms. */
  loadCpuMs: number
}

/** `tag` keeps tx ids unique across the runs made against one database. */
export async function driveApprovals(
  base: string,
  connections: number,
  seconds: number,
  tag: string,
): Promise<ApprovalRun> {
  const accepted: string[] = []
  const statuses: Record<number, number> = {}
  const latencies: number[] = []
  let sequence = 0
  const cpuBefore = process.cpuUsage()
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: base,
        connections,
        duration: seconds,
        requests: [
          {
            setupRequest(request, context) {
              sequence += 1
              const txId = `${tag}-${sequence}`
              ;(context as { txId?: string }).txId = txId
              request.path = `/api/postback?tx_id=${txId}&offer_id=7&payout=3.50&user_id=user-${sequence % USERS}&secret=${SECRET}`
              return request
            },
            onResponse(status, _body, context) {
              // One request in flight per connection: the context names the one just answered.
              statuses[status] = (statuses[status] ?? 0) + 1
              if (status >= 200 && status < 300) accepted.push((context as { txId: string }).txId)
            },
          },
        ],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    )
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime)
    })
  })
  const cpu = process.cpuUsage(cpuBefore)
  const answered = Object.values(statuses).reduce((sum, n) => sum + n, 0)
  return {
    result,
    accepted,
    statuses,
    latency: summarize(latencies),
    loadCpuMs: answered > 0 ? (cpu.user + cpu.system) / 1000 / answered : 0,
  }
}

/** Nearest-rank percentiles. */
function summarize(values: number[]) {
  const sorted = Float64Array.from(values).sort()
  const at = (p: number) =>
    sorted.length === 0 ? Number.NaN : (sorted[Math.ceil((p / 100) * sorted.length) - 1] as number)
  return { p50: at(50), p99: at(99), max: sorted.length === 0 ? Number.NaN : at(100) }
}
