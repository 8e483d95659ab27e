// CPU time the service process spends per accepted postback, read from /proc/<pid>/stat
// (utime + stime) around a fixed number of requests: other processes loading the machine
// change how long a run takes far more than how much CPU the service itself uses.
//   npm run -s build && tsx bench/cpu.ts                    # 1 and 8 connections, 3 rounds each
//   tsx bench/cpu.ts --requests 5000 --connections 1,8 --rounds 5
//   tsx bench/cpu.ts --profile /tmp/prof                    # also node --cpu-prof, summarized
// Each connection count gets its own fresh service and database; a warm-up precedes the rounds.
import { readdirSync, readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { summarizeProfile } from './cpu-profile.js'
import { cleanUpAll, SECRET, startService } from './service.js'

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    // V8 is still optimizing the request path for the first few thousand requests.
    warmup: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,8' },
    /** name=dir: a build to measure (dir holds dist/, package.json, migrations/); repeatable. */
    build: { type: 'string', multiple: true, default: ['current=.'] },
    /** name:KEY=VALUE: a setting for one build's service (e.g. base:LOG_LEVEL=warn); repeatable. */
    set: { type: 'string', multiple: true, default: [] },
    /** Write a V8 CPU profile of each service here (on exit) and print its top items. */
    profile: { type: 'string' },
    embedded: { type: 'boolean', default: false },
  },
})

const builds = args.build.map((spec) => {
  const [name, dir] = spec.split('=') as [string, string]
  const env: Record<string, string> = {}
  for (const setting of args.set) {
    const [target, assignment] = [
      setting.slice(0, setting.indexOf(':')),
      setting.slice(setting.indexOf(':') + 1),
    ]
    if (target === name)
      env[assignment.slice(0, assignment.indexOf('='))] = assignment.slice(
        assignment.indexOf('=') + 1,
      )
  }
  return { name, dir, env }
})

const TICK_MS = 10 // CLK_TCK is 100 on Linux

/** CPU time (user, system) a process or thread has used so far, in ms. */
function cpuOf(statFile: string): { user: number; system: number } {
  const stat = readFileSync(statFile, 'utf8')
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS }
}

/** The process's CPU, and its main thread's (JavaScript, the event loop, the syscalls it makes). */
function sample(pid: number) {
  const process = cpuOf(`/proc/${pid}/stat`)
  const main = cpuOf(`/proc/${pid}/task/${pid}/stat`)
  return { ...process, main: main.user + main.system }
}

let sequence = 0
const runId = Date.now().toString(36)

/** `total` postbacks with unique transaction ids over `connections` keep-alive connections. */
async function drive(base: string, total: number, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const { hostname, port } = new URL(base)
  const statuses = new Map<number, number>()
  let left = total
  const one = () =>
    new Promise<void>((resolve, reject) => {
      sequence += 1
      const path = `/api/postback?tx_id=cpu-${runId}-${sequence}&offer_id=7&payout=3.50&user_id=user-${sequence % 1000}&secret=${SECRET}`
      const req = request({ agent, hostname, port, path }, (res) => {
        res.resume()
        res.on('end', () => {
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1)
          resolve()
        })
      })
      req.on('error', reject)
      req.end()
    })
  const worker = async () => {
    while (left > 0) {
      left -= 1
      await one()
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  agent.destroy()
  return statuses
}

/**
 * One fresh service per build; after a warm-up each, the rounds alternate between the builds so
 * that whatever else loads the machine weighs on all of them alike.
 */
async function measure(connections: number) {
  const services = []
  try {
    for (const build of builds) {
      const nodeArgs = args.profile
        ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`, '--cpu-prof-interval=200']
        : []
      const service = await startService({
        embedded: args.embedded,
        nodeArgs,
        cwd: build.dir,
        env: build.env,
      })
      services.push({ build, service, figures: [] as number[], cpu: 0, accepted: 0 })
      await drive(service.base, Number(args.warmup), connections)
    }
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const measured of services) {
        const { build, service, figures } = measured
        const pid = service.pid as number
        const before = sample(pid)
        const started = performance.now()
        const statuses = await drive(service.base, Number(args.requests), connections)
        const seconds = (performance.now() - started) / 1000
        const after = sample(pid)
        const accepted = statuses.get(200) ?? 0
        const user = after.user - before.user
        const system = after.system - before.system
        const perPostback = (user + system) / accepted
        const mainThread = (after.main - before.main) / accepted
        figures.push(perPostback)
        measured.cpu += user + system
        measured.accepted += accepted
        const others = [...statuses].filter(([status]) => status !== 200)
        console.log(
          `| ${build.name} | ${connections} | ${round + 1} | ${accepted} | ${Math.round(accepted / seconds)} | ${user} / ${system} | ${perPostback.toFixed(3)} | ${mainThread.toFixed(3)} |${others.length ? ` other statuses: ${JSON.stringify(others)}` : ''}`,
        )
      }
    }
  } finally {
    for (const { service } of services) await service.stop()
  }
  return services.map(({ build, figures, cpu, accepted }) => ({
    build: build.name,
    connections,
    figures,
    perPostback: cpu / accepted,
  }))
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

async function main() {
  console.log(
    '| build | connections | round | accepted | per s | CPU user / sys (ms) | CPU per postback (ms) | main thread (ms) |',
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
  const results = []
  for (const connections of args.connections.split(',').map(Number))
    results.push(...(await measure(connections)))
  console.log('')
  for (const r of results) {
    // Each round against the first build's round run just before it: the machine's load drifts.
    const first = results.find((other) => other.connections === r.connections) as typeof r
    const ratios = r.figures.map((figure, i) => figure / (first.figures[i] as number))
    console.log(
      `${r.build}, ${r.connections} connection(s): ${r.perPostback.toFixed(3)} ms CPU per postback over all rounds; rounds median ${median(r.figures).toFixed(3)} (${Math.min(...r.figures).toFixed(3)}-${Math.max(...r.figures).toFixed(3)})${r === first ? '' : `; against ${first.build} round by round: median ${median(ratios).toFixed(3)}× (${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`}`,
    )
  }
  if (args.profile) {
    for (const file of readdirSync(args.profile).filter((f) => f.endsWith('.cpuprofile'))) {
      console.log(`\n${file}`)
      console.log(summarizeProfile(join(args.profile, file)))
    }
  }
}

try {
  await main()
} finally {
  await cleanUpAll()
}
